// The same stream named twice among the outputs.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = u64 -> map(|x| x + 1);
        let evens = a -> filter(|x| *x % 2 == 0);
        let odds = a -> filter(|x| *x % 2 == 1);
        (evens, odds, evens)
    };
}
