// A window needs a clock: with no `event_time` and no `processing_time` it is rejected at the window.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    price: u64,
}

fn main() {
    let _p = stream! {
        Bid
        -> key_by(|b| b.auction)
        -> window(tumbling(10s))
        -> aggregate(count(), max(|b| b.price))
    };
}
