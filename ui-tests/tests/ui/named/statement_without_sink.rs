// An unnamed flow ending in `;` that does not end in `for_each`: its records go nowhere.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = u64 -> map(|x| x + 1);
        a -> map(|x| x * 2);
        a -> filter(|x| *x > 3)
    };
}
