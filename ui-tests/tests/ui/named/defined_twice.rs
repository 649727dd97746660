// A stream name bound twice: the error points at the second name.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = u64 -> map(|x| x + 1);
        let a = u64 -> map(|x| x * 2);
        a -> filter(|x| *x > 3)
    };
}
