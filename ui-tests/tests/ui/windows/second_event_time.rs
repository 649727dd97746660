// A pipeline has one clock: a second `event_time` is rejected at the second one.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    at: u64,
    received: u64,
}

fn main() {
    let _p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> event_time(|b| b.received)
        -> key_by(|b| b.auction)
        -> window(tumbling(10s))
        -> aggregate(count())
    };
}
