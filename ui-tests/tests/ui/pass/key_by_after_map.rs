// `key_by` after a transform is an exchange: the mapped records go to the
// core that owns their key, with their time, and a window may follow.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        (u64, u64)
        -> event_time(|e| e.1, lateness = 1s)
        -> map(|e| (e.0 * 2, e.1))
        -> key_by(|e| e.0)
        -> window(tumbling(10s))
        -> aggregate(count())
    };
}
