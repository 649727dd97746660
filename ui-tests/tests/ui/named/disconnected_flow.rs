// A flow of its own input that nothing connects to the last flow: the error points at its head.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        u32 -> for_each(|x| println!("{x}"));
        u64 -> filter(|x| *x > 3)
    };
}
