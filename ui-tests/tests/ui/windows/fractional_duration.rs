// A duration is a whole number: `1.5s` is rejected at the literal, with a smaller unit suggested.
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
        -> window(tumbling(1.5s))
        -> aggregate(count())
    };
}
