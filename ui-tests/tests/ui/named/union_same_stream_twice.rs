// `union(a, a)`: the error points at the second `a`.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = u64 -> map(|x| x + 1);
        union(a, a) -> filter(|x| *x > 3)
    };
}
