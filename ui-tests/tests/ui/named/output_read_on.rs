// An output used as an input: a flow that reads a stream named among the outputs is an error at that flow.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = u64 -> map(|x| x + 1);
        let evens = a -> filter(|x| *x % 2 == 0);
        let odds = a -> filter(|x| *x % 2 == 1);
        let doubled = evens -> map(|x| x * 2);
        (evens, odds, doubled)
    };
}
