// State values must be serde types (they may live in a memory-mapped file): a plain struct is rejected.
use laminar::prelude::*;

#[derive(Clone, Default)]
struct Tally {
    n: u64,
}

fn main() {
    let _p = stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> fold(Tally::default(), |t, _e| Tally { n: t.n + 1 })
    };
}
