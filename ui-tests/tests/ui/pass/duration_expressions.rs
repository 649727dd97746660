// Durations given as expressions of type `Duration` (a field, a const, a call) compile beside literals, and run.
use std::time::Duration;

use laminar::prelude::*;

const LATENESS: Duration = Duration::from_millis(5);

struct Settings {
    window: Duration,
    slide: Duration,
}

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    at: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg = Settings {
        window: Duration::from_millis(10),
        slide: Duration::from_millis(5),
    };
    let tumbling = stream! {
        Bid
        -> event_time(|b| b.at, lateness = LATENESS, idle = Duration::from_secs(60))
        -> key_by(|b| b.auction)
        -> window(tumbling(cfg.window), allowed_lateness = LATENESS)
        -> aggregate(count())
    };
    let _sliding = stream! {
        Bid
        -> event_time(|b| b.at)
        -> key_by(|b| b.auction)
        -> window(sliding(cfg.window, cfg.slide), emit = on_update)
        -> aggregate(count())
    };
    let _mixed = stream! {
        Bid
        -> processing_time()
        -> window_all(sliding(1s, cfg.slide))
        -> aggregate(count())
    };
    let _session = stream! {
        Bid
        -> event_time(|b| b.at, lateness = 2s)
        -> key_by(|b| b.auction)
        -> window(session(cfg.window * 3))
        -> aggregate(count())
    };

    let rt = Runtime::builder().cores(1).build(tumbling)?;
    rt.input()
        .submit_iter([(1, 1), (1, 8), (2, 3), (1, 14)].map(|(auction, at)| Bid { auction, at }))?;
    let mut out = Vec::new();
    rt.finish_into(&mut out)?;
    out.sort_by_key(|w| (w.start, w.key));
    let got: Vec<_> = out.iter().map(|w| (w.key, w.start, w.end, w.value)).collect();
    assert_eq!(got, [(1, 0, 10, 2), (2, 0, 10, 1), (1, 10, 20, 1)]);
    Ok(())
}
