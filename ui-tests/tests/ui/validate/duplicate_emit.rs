// `emit` given twice on a window is an error at the second, even with two valid policies.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        u64
        -> processing_time()
        -> key_by(|x| *x)
        -> window(tumbling(10s), emit = on_update, emit = on_close)
        -> aggregate(count())
    };
}
