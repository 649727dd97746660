// `union` of a single stream: the error points at the `union(..)` and offers reading the stream by name.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = u64 -> map(|x| x + 1);
        union(a) -> filter(|x| *x > 3)
    };
}
