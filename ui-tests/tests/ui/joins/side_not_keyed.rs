// A side without `key_by`: the join pairs rows by key, so the error asks to key that side.
use laminar::prelude::*;

#[derive(Clone, Copy, Debug)]
struct Order {
    id: u64,
    user: u64,
    at: u64,
}

#[derive(Clone, Copy, Debug)]
struct Payment {
    user: u64,
    cents: u64,
    at: u64,
}

fn main() {
    let _p = stream! {
        let orders = Order -> event_time(|o| o.at, lateness = 40ms) -> key_by(|o| o.user);
        let payments = Payment -> event_time(|p| p.at, lateness = 40ms);
        join(orders, payments, |o, p| (o.id, p.cents), between = (0ms, 100ms))
    };
}
