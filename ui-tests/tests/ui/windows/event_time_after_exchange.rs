// Clocks stay at the head: `event_time` after a mid-pipeline `key_by` is rejected at `event_time`, naming the stage before it.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        (u64, u64)
        -> filter(|e| e.0 > 0)
        -> key_by(|e| e.0)
        -> event_time(|e| e.1)
        -> window(tumbling(10s))
        -> aggregate(count())
    };
}
