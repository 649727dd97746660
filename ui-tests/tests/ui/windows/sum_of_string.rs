// `sum` adds numbers: summing a `String` field is rejected at the `sum` with the `Summable` message.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    bidder: String,
    at: u64,
}

fn main() {
    let _p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> key_by(|b| b.auction)
        -> window(tumbling(10s))
        -> aggregate(sum(|b| b.bidder.clone()))
    };
}
