// A second `key_by` re-keys the records: an exchange between cores, after
// which keyed stages use the new key.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> key_by(|e| e.1)
        -> reduce(|a, b| (a.0 + b.0, b.1))
    };
}
