// `fold` takes an initial value and a closure: one argument is rejected with its usage.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> fold(|acc: u64, e: (u64, u64)| acc + e.1)
    };
}
