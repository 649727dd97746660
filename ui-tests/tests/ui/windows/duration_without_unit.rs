// A duration needs a unit: `tumbling(10)` is rejected at the `10`, with the units listed.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    at: u64,
}

fn main() {
    let _p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> key_by(|b| b.auction)
        -> window(tumbling(10))
        -> aggregate(count())
    };
}
