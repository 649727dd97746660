// A misspelt stream in `union(..)`: the error points at the name and suggests the nearest one.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let clicks = u64 -> map(|x| x + 1);
        let buys = u64 -> map(|x| x * 2);
        union(clikcs, buys) -> filter(|x| *x > 3)
    };
}
