// A key must be `Hash + Eq`: keying by an `f64` field is rejected at the `key_by` stage.
use laminar::prelude::*;

struct Trade {
    price: f64,
}

fn main() {
    let _p = stream! { Trade -> key_by(|t| t.price) };
}
