// An event time is `u64` milliseconds: an extractor returning a `String` is rejected at the closure's body.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    at: String,
}

fn main() {
    let _p = stream! {
        Bid
        -> event_time(|b| b.at.clone())
        -> key_by(|b| b.auction)
        -> window(tumbling(10s))
        -> aggregate(count())
    };
}
