// Joins between named streams: an interval join, a left interval join, a window join and a stream-table join compile.
use laminar::prelude::*;
use laminar::Change;

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

#[derive(Clone, Copy, Debug)]
struct Rate {
    tier: u64,
}

fn main() {
    let interval = stream! {
        let orders = Order -> event_time(|o| o.at, lateness = 40ms) -> key_by(|o| o.user);
        let payments = Payment -> event_time(|p| p.at, lateness = 40ms) -> key_by(|p| p.user);
        join(orders, payments, |o, p| (o.id, p.cents), between = (0ms, 100ms))
    };
    let left = stream! {
        let orders = Order -> event_time(|o| o.at, lateness = 40ms) -> key_by(|o| o.user);
        let payments = Payment -> event_time(|p| p.at, lateness = 40ms) -> key_by(|p| p.user);
        left_join(orders, payments, |o, p: Option<&Payment>| (o.id, p.map(|p| p.cents)), between = (-10ms, 10ms))
    };
    let window = stream! {
        let orders = Order -> event_time(|o| o.at, lateness = 40ms) -> key_by(|o| o.user);
        let payments = Payment -> event_time(|p| p.at, lateness = 40ms) -> key_by(|p| p.user);
        join(orders, payments, |o, p| (o.user, o.id, p.cents), window = tumbling(50ms))
    };
    let table = stream! {
        let orders = Order -> event_time(|o| o.at, lateness = 40ms) -> key_by(|o| o.user);
        let rates = (u64, Change<u64, Rate>) -> event_time(|(at, _)| *at, lateness = 40ms) -> map(|(_, c)| c) -> key_by(|c| *c.key());
        join(orders, table(rates), |o, r| (o.id, r.tier))
    };
    assert!(interval.describe().contains("join"));
    assert!(left.describe().contains("join"));
    assert!(window.describe().contains("join"));
    assert!(table.describe().contains("join"));
}
