// A mid-pipeline `key_by` (an exchange) needs a `Hash + Eq` key like a head one: keying mapped records by an `f64` is rejected at that `key_by`.
use laminar::prelude::*;

struct Trade {
    price: f64,
    qty: u64,
}

fn main() {
    let _p = stream! {
        Trade
        -> map(|t| (t.price * t.qty as f64, t.qty))
        -> key_by(|t| t.0)
        -> reduce(|a, b| (a.0 + b.0, a.1 + b.1))
    };
}
