// A keyed pipeline built and run on a two-core `Runtime`, its results drained from the outboxes.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    price: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! {
        Bid
        -> key_by(|b| b.auction)
        -> filter(|b| b.price > 10)
        -> map(|b| (b.auction, b.price))
    };
    let rt = Runtime::builder().cores(2).build(p)?;
    let mut input = rt.input();
    for i in 0..100 {
        input.submit(Bid {
            auction: i % 7,
            price: i,
        })?;
    }
    drop(input);
    let mut out: Vec<(u64, u64)> = Vec::new();
    let report = rt.finish_into(&mut out)?;
    assert_eq!(out.len(), 89);
    assert_eq!(report.events_in(), 100);
    Ok(())
}
