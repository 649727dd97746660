// Reading a stream that ends in `for_each` (an output used as an input): the error points at the reader's head.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let logged = u64 -> map(|x| x + 1) -> for_each(|x| println!("{x}"));
        logged -> filter(|x| *x > 3)
    };
}
