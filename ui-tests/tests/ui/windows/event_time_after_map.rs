// Watermarks are made at the inputs: `event_time` after `map` is rejected at the `event_time`.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    price: u64,
    at: u64,
}

fn main() {
    let _p = stream! {
        Bid
        -> map(|b| (b.at, b.price))
        -> event_time(|e| e.0)
    };
}
