// `avg` adds numbers: averaging a `bool` field is rejected at the `avg` with the `Summable` message.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    accepted: bool,
    at: u64,
}

fn main() {
    let _p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> key_by(|b| b.auction)
        -> window(tumbling(10s))
        -> aggregate(count(), avg(|b| b.accepted))
    };
}
