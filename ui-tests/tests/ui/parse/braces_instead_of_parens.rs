// Arguments in braces instead of parentheses: the error points at the braces.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> map { |x| x + 1 } };
}
