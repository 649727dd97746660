// A `key_by` after a `map` sees the mapped records: a key closure typed for the source events is a type mismatch at the user's closure.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    price: u64,
}

fn main() {
    let _p = stream! {
        Bid
        -> map(|b| (b.auction, b.price * 2))
        -> key_by(|b: &Bid| b.auction)
        -> reduce(|a, b| (a.0, a.1 + b.1))
    };
}
