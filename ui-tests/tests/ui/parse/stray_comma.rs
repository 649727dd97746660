// Malformed arguments: a doubled comma inside the parentheses is a parse error at the comma.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> map(|x| x,,) };
}
