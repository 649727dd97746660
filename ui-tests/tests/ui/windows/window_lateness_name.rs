// A window's lateness is `allowed_lateness` (`lateness` belongs to `event_time`): the wrong name is rejected.
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
        -> window(tumbling(10s), lateness = 5s)
        -> aggregate(count())
    };
}
