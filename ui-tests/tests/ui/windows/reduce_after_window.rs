// A keyed window's `aggregate` spends the key: a `reduce` over its results needs a new `key_by`, and the error says to add `key_by(|w| w.key)`.
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
        -> reduce(|a, b| if a.value >= b.value { a } else { b })
    };
}
