// A named stream that no later flow reads: the error points at its name.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let unused = u32 -> map(|x| x + 1);
        u64 -> filter(|x| *x > 3)
    };
}
