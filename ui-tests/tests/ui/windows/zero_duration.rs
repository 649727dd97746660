// A window cannot be empty: `tumbling(0s)` is rejected at the `0s`.
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
        -> window(tumbling(0s))
        -> aggregate(count())
    };
}
