// `reduce` reads each record's key with the closure of the last `key_by`: a `flat_map` between a mid-pipeline `key_by` and `reduce` is rejected, with how to reorder.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        (u64, u64)
        -> map(|e| (e.1, e.0))
        -> key_by(|e| e.0)
        -> flat_map(|e| [e, (e.0, e.1 + 1)])
        -> reduce(|a, b| (a.0, a.1 + b.1))
    };
}
