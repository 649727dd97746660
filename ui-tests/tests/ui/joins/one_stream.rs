// A join with one stream: the error says a join takes the names of two streams.
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
        join(orders, |o, p| (o.id, p.cents))
    };
}
