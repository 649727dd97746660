// `window` is one window per key: with no `key_by` it is rejected, and the help offers `window_all`.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    price: u64,
    at: u64,
}

fn main() {
    let _p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> window(tumbling(10s))
        -> aggregate(max(|b| b.price))
    };
}
