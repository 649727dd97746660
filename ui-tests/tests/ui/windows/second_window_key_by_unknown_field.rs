// After a window, records are `Windowed` (key, start, end, value): re-keying by a field of the source events is an error at the user's closure, naming `Windowed`.
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
        -> key_by(|w| w.auction)
        -> window(tumbling(20s))
        -> aggregate(count())
    };
}
