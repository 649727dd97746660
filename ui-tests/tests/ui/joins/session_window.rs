// `window = session(5s)` in a join: a join's window is tumbling or sliding, and the error points at the window.
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
        let payments = Payment -> event_time(|p| p.at, lateness = 40ms) -> key_by(|p| p.user);
        join(orders, payments, |o, p| (o.id, p.cents), window = session(5s))
    };
}
