// A side whose `key_by` is followed by a `map`: the key closure reads records of another type, and the error asks to move the `map` before the `key_by`.
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
        let payments = Payment -> event_time(|p| p.at, lateness = 40ms) -> key_by(|p| p.user) -> map(|p| (p.user, p.cents));
        join(orders, payments, |o, p| (o.id, p.1), between = (0ms, 100ms))
    };
}
