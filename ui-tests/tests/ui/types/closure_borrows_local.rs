// Closures must be `'static`: a closure that borrows a local instead of moving it in is rejected.
use laminar::prelude::*;

fn main() {
    let offset = 10u64;
    let _p = stream! { u64 -> map(|x| x + offset) };
}
