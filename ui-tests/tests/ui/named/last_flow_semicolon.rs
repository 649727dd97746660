// A `;` after the last flow of a graph: the error points at the semicolon.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = u64 -> map(|x| x + 1);
        a -> filter(|x| *x > 3);
    };
}
