// A window's argument is a shape, not a bare duration: `window(10s)` is rejected, with the shapes listed.
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
        -> window(10s)
        -> aggregate(count())
    };
}
