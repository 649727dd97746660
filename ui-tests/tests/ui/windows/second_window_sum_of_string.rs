// The second window's aggregate is type-checked over `Windowed` records: summing a `String` made from them is rejected at the `sum` closure.
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
        -> window(tumbling(10s))
        -> aggregate(count())
        -> key_by(|w| w.start)
        -> window(tumbling(20s))
        -> aggregate(sum(|w| w.value.to_string()))
    };
}
