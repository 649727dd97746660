// `map` with two closures is rejected at its arguments.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> map(|x| x, |y| y) };
}
