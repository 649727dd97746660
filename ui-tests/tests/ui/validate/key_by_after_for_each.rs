// `for_each` ends the pipeline: a `key_by` (an exchange) after it is rejected at the `key_by`.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> for_each(|e| drop(e))
        -> key_by(|e| e.1)
        -> reduce(|a, b| (a.0 + b.0, b.1))
    };
}
