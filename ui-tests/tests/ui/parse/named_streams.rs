// Named streams (`let name = ...;`) are not supported yet: the error says so at the `let`.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let doubled = u64 -> map(|x| x * 2);
        doubled -> filter(|x| *x > 3)
    };
}
