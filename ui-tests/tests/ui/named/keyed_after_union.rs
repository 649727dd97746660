// A keyed `window` right after a `union` of keyed streams: the union is not keyed, so it needs a new `key_by`.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = (u64, u64) -> event_time(|e| e.1) -> key_by(|e| e.0);
        let b = (u64, u64) -> event_time(|e| e.1) -> key_by(|e| e.0);
        union(a, b)
            -> window(tumbling(10s))
            -> aggregate(count())
    };
}
