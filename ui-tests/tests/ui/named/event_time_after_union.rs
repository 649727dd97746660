// `event_time` after a `union`: clocks belong at each input's head, where events enter.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = (u64, u64) -> map(|e| e);
        let b = (u64, u64) -> filter(|e| e.0 > 0);
        union(a, b)
            -> event_time(|e| e.1)
            -> window_all(tumbling(10s))
            -> aggregate(count())
    };
}
