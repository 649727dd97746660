// An operator written without parentheses is rejected at its name, with its usage.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> map };
}
