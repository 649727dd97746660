// A custom aggregate must implement `Aggregate`: `aggregate(42u8)` is rejected at the `42u8`.
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
        -> window(tumbling(10s))
        -> aggregate(count(), 42u8)
    };
}
