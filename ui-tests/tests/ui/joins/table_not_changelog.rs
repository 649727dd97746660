// A stream-table join whose table side's records are plain `Rate`s, not `laminar::Change<K, V>`: the error says the table needs a changelog.
use laminar::prelude::*;

#[derive(Clone, Copy, Debug)]
struct Order {
    id: u64,
    user: u64,
    at: u64,
}

#[derive(Clone, Copy, Debug)]
struct Rate {
    user: u64,
    tier: u64,
    at: u64,
}

fn main() {
    let _p = stream! {
        let orders = Order -> event_time(|o| o.at, lateness = 40ms) -> key_by(|o| o.user);
        let rates = Rate -> event_time(|r| r.at, lateness = 40ms) -> key_by(|r| r.user);
        join(orders, table(rates), |o, r| (o.id, r.tier))
    };
}
