// A `flat_map` closure must return something iterable: returning a `u64` is rejected.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> flat_map(|x| x * 2) };
}
