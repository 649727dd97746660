// `filter()` without its predicate is rejected at the empty parentheses.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> filter() };
}
