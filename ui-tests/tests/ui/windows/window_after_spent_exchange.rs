// After a mid-pipeline `key_by` was spent by `reduce`, the stream is unkeyed again: a `window` is rejected, offering a new `key_by` or `window_all`.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        (u64, u64)
        -> event_time(|e| e.1)
        -> map(|e| (e.0 % 4, e.1))
        -> key_by(|e| e.0)
        -> reduce(|a, b| (a.0, a.1.max(b.1)))
        -> window(tumbling(10s))
        -> aggregate(count())
    };
}
