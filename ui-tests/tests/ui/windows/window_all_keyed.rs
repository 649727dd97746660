// `window_all` is one window over all events: on a keyed pipeline it is rejected, with `window` offered.
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
        -> window_all(tumbling(10s))
        -> aggregate(count())
    };
}
