// `aggregate` takes at most 7 aggregates: an eighth is rejected at its arguments.
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
        -> aggregate(
            count(),
            sum(|b| b.price),
            min(|b| b.price),
            max(|b| b.price),
            avg(|b| b.price),
            first(|b| b.price),
            last(|b| b.price),
            count(),
        )
    };
}
