// A named argument the operator does not accept is rejected at the argument's name.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> map(|x| x, parallelism = 4) };
}
