// Two readers of one stream that both go on (neither ends in `for_each`): the error points at the second reader.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = u64 -> map(|x| x + 1);
        let evens = a -> filter(|x| *x % 2 == 0);
        let odds = a -> filter(|x| *x % 2 == 1);
        union(evens, odds) -> map(|x| x * 2)
    };
}
