// `sliding` takes a size and a slide: `sliding(10s)` is rejected at its arguments, with its usage.
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
        -> window(sliding(10s))
        -> aggregate(count())
    };
}
