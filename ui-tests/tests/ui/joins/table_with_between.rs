// `table(b)` together with `between = ..`: a stream-table join takes no interval, and the error asks to remove it.
use laminar::prelude::*;

#[derive(Clone, Copy, Debug)]
struct Order {
    id: u64,
    user: u64,
    at: u64,
}

#[derive(Clone, Copy, Debug)]
struct Rate {
    tier: u64,
}

type Rates = laminar::Change<u64, Rate>;

fn main() {
    let _p = stream! {
        let orders = Order -> event_time(|o| o.at, lateness = 40ms) -> key_by(|o| o.user);
        let rates = (u64, Rates) -> event_time(|(at, _)| *at, lateness = 40ms) -> map(|(_, c)| c) -> key_by(|c| *c.key());
        join(orders, table(rates), |o, r| (o.id, r.tier), between = (0ms, 100ms))
    };
}
