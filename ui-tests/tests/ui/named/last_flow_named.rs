// `let x =` on the last flow, which is the output and never read: the error points at the name.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = u64 -> map(|x| x + 1);
        let x = a -> filter(|x| *x > 3)
    };
}
