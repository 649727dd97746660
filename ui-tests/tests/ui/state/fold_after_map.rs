// `fold` reads each event's key from the source events: a `map` before it is rejected.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> map(|e| e.1)
        -> fold(0u64, |acc, v| acc + v)
    };
}
