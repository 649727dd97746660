// Tumbling, sliding and session windows per key, each with several aggregates; the tumbling one runs.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    price: u64,
    at: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tumbling = stream! {
        Bid
        -> event_time(|b| b.at, lateness = 0ms)
        -> key_by(|b| b.auction)
        -> window(tumbling(10ms))
        -> aggregate(count(), sum(|b| b.price), max(|b| b.price))
    };
    let sliding = stream! {
        Bid
        -> event_time(|b| b.at, lateness = 2s, idle = 1min)
        -> key_by(|b| b.auction)
        -> filter(|b| b.price > 0)
        -> window(sliding(1h, 10min))
        -> aggregate(min(|b| b.price), avg(|b| b.price), first(|b| b.price), last(|b| b.price))
        -> map(|w| (w.key, w.start, w.value.1))
    };
    let session = stream! {
        Bid
        -> event_time(|b| b.at)
        -> key_by(|b| b.auction)
        -> window(session(30s))
        -> aggregate(count(), avg(|b| b.price as f64))
        -> for_each(|w| assert!(w.value.0 > 0))
    };
    assert!(sliding.describe().contains("sliding"));
    assert!(session.describe().contains("session"));

    let rt = Runtime::builder().cores(2).build(tumbling)?;
    let mut input = rt.input();
    for (auction, price, at) in [(1, 5, 1), (2, 7, 2), (1, 9, 8), (1, 3, 12)] {
        input.submit(Bid { auction, price, at })?;
    }
    drop(input);
    let mut out = Vec::new();
    rt.finish_into(&mut out)?;
    out.sort_by_key(|w| (w.start, w.key));
    let got: Vec<_> = out.iter().map(|w| (w.key, w.start, w.value)).collect();
    assert_eq!(
        got,
        [
            (1, 0, (2, 14, Some(9))),
            (2, 0, (1, 7, Some(7))),
            (1, 10, (1, 3, Some(3))),
        ]
    );
    Ok(())
}
