// `union` of an input with `event_time` and one with no clock: the error points at the `union(..)` and names both.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let timed = (u64, u64) -> event_time(|e| e.1) -> map(|e| e.0);
        let untimed = (u64, u64) -> map(|e| e.0);
        union(timed, untimed) -> filter(|x| *x > 3)
    };
}
