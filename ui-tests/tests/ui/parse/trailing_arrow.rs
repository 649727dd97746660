// A `->` with no stage after it: the error points at that arrow.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> map(|x| x + 1) -> };
}
