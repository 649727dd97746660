// Two `for_each` terminals: the second one is rejected.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        u64
        -> for_each(|x| drop(x))
        -> for_each(|x| drop(x))
    };
}
