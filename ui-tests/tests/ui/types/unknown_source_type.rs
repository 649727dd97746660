// A misspelled event type is reported once, at the type.
use laminar::prelude::*;

#[allow(dead_code)]
struct Bid {
    price: u64,
}

fn main() {
    let _p = stream! { Bidd -> map(|b| b.price) };
}
