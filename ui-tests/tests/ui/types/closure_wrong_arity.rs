// A stage closure takes one argument, the event: a two-argument closure is rejected.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> map(|a, b| a + b) };
}
