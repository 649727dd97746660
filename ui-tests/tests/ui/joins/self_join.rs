// `join(a, a, ..)`: joining a stream with itself; the error offers naming a second flow from it.
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
        join(orders, orders, |a, b| (a.id, b.id), between = (0ms, 100ms))
    };
}
