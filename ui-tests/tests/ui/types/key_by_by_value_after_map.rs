// A mid-pipeline `key_by` closure sees `&record` too: taking the mapped record by value is rejected at the closure, with the `&` to add.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        u64
        -> map(|x| x * 3)
        -> key_by(|x: u64| x % 8)
        -> reduce(|a, b| a + b)
    };
}
