// `reduce` keeps its state per key: without `key_by` the macro says to add one.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> reduce(|a, b| a + b) };
}
