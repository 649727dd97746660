// A second window aggregates the first one's `Windowed` records: a closure reading a field of the source events (`w.price`) is an error at the user's closure, naming `Windowed`.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    price: u64,
    at: u64,
}

fn main() {
    let _p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> key_by(|b| b.auction)
        -> window(tumbling(10s))
        -> aggregate(max(|b| b.price))
        -> key_by(|w| w.start)
        -> window(tumbling(20s))
        -> aggregate(max(|w| w.price))
    };
}
