// A key must be `Hash + Eq`: a key struct with neither gets one error at `key_by` that names both.
use laminar::prelude::*;

#[derive(Clone)]
struct Region {
    name: String,
}

struct Order {
    region: String,
}

fn main() {
    let _p = stream! { Order -> key_by(|o| Region { name: o.region.clone() }) };
}
