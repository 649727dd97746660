// `emit` is `on_close` or `on_update`: any other value is rejected at the value.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    at: u64,
}

fn main() {
    let _p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> key_by(|b| b.auction)
        -> window(tumbling(10s), emit = on_every_event)
        -> aggregate(count())
    };
}
