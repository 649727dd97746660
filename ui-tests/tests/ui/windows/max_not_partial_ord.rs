// `max` compares values: a field whose type is not `PartialOrd` is rejected at the `max`.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Place {
    lat: f64,
    lon: f64,
}

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    place: Place,
    at: u64,
}

fn main() {
    let _p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> key_by(|b| b.auction)
        -> window(tumbling(10s))
        -> aggregate(max(|b| b.place.clone()))
    };
}
