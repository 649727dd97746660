// `window_all` right after a mid-pipeline `key_by` would leave that key unused: it is rejected at `window_all`, with `window` offered.
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
        -> map(|b| Bid { auction: b.auction % 16, ..b })
        -> key_by(|b| b.auction)
        -> window_all(tumbling(10s))
        -> aggregate(count())
    };
}
