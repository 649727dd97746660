// A pipeline has one clock: `processing_time()` after `event_time` is rejected at the `processing_time`.
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
        -> processing_time()
        -> key_by(|b| b.auction)
        -> window(tumbling(10s))
        -> aggregate(count())
    };
}
