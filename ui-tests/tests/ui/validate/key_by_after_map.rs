// `key_by` after a transform would need an exchange between cores: it is rejected at the `key_by`.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        u64
        -> map(|x| x * 2)
        -> key_by(|x| *x)
    };
}
