// A literal where an operator name should be: the error points at the literal.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> 42 };
}
