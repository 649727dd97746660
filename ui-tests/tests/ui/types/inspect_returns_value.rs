// An `inspect` closure returns nothing: a closure that returns the event is rejected.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> inspect(|x| *x + 1) };
}
