// A misspelt window shape is rejected at its name, with the nearest shape suggested.
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
        -> window(tumblin(10s))
        -> aggregate(count())
    };
}
