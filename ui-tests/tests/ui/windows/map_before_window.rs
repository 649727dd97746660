// A window reads key and time from the source events: a `map` between `key_by` and `window` is rejected.
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
