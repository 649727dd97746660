// A `filter` closure must return `bool`: returning a number is rejected at the closure.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> filter(|x| *x % 2) };
}
