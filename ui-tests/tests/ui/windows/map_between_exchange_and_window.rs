// A mid-pipeline `key_by` keys the records it sees: a `map` between it and the `window` changes them, and is rejected with how to reorder.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    price: u64,
    at: u64,
}

fn main() {
    let _p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> filter(|b| b.price > 0)
        -> key_by(|b| b.auction)
        -> map(|b| (b.auction, b.price))
        -> window(tumbling(10s))
        -> aggregate(count())
    };
}
