// Every core gets a clone of each closure, for as long as the runtime runs: a closure that borrows a local is rejected.
use laminar::prelude::*;

fn main() {
    let limit = 10u64;
    let limit_ref = &limit;
    let _p = stream! { u64 -> filter(|x| *x < *limit_ref) };
}
