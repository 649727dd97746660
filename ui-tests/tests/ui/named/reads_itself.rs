// A stream that reads itself: the error points at the name in its own head.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = a -> map(|x: u64| x + 1);
        a -> filter(|x| *x > 3)
    };
}
