// A closure whose input does not match the previous stage's output is rejected at that closure.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        u64
        -> map(|x| (x, x * 2))
        -> filter(|x: &u64| *x > 3)
    };
}
