// Three outputs where two part after a flow they share: not supported yet, said at the outputs.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = u64 -> map(|x| x + 1);
        let big = a -> filter(|x| *x > 10);
        let evens = big -> filter(|x| *x % 2 == 0);
        let odds = big -> filter(|x| *x % 2 == 1);
        let small = a -> filter(|x| *x <= 10);
        (evens, odds, small)
    };
}
