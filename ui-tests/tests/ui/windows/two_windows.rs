// One window per pipeline, for now: a second window after the first `aggregate` is rejected.
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
        -> aggregate(count())
        -> window(tumbling(1min))
        -> aggregate(count())
    };
}
