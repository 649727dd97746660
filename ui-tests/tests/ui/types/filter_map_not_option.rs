// A `filter_map` closure must return an `Option`: returning a plain value is rejected.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> filter_map(|x| x + 1) };
}
