// `event_time`'s `lateness` is a duration too: `lateness = 2` is rejected at the `2`, with the units listed.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    at: u64,
}

fn main() {
    let _p = stream! {
        Bid
        -> event_time(|b| b.at, lateness = 2)
        -> key_by(|b| b.auction)
        -> window(tumbling(10s))
        -> aggregate(count())
    };
}
