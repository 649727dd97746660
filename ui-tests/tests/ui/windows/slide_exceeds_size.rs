// A sliding window whose slide exceeds its size would skip events: `sliding(2s, 10s)` is rejected.
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
        -> window(sliding(2s, 10s))
        -> aggregate(count())
    };
}
