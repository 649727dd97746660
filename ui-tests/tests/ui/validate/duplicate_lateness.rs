// A named argument given twice is an error at the second (the first is not silently kept).
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> event_time(|x| *x, lateness = 2s, lateness = 9s) };
}
