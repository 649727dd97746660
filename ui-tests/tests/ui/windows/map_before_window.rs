// A window reads each record's key with its `key_by`'s closure: a `map` between `key_by` and `window` is rejected, with how to reorder.
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
        -> key_by(|b| b.auction)
        -> map(|b| Bid { price: b.price * 2, ..b })
        -> window(tumbling(10s))
        -> aggregate(count())
    };
}
