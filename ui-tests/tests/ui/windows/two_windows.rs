// A second keyed window needs its input keyed again: the first window's `aggregate` used the `key_by`'s key, and the error says to re-key with `key_by(|w| w.key)`.
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
