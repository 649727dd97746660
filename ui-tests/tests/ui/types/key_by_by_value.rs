// The `key_by` closure sees `&event`: annotating the argument as taken by value is rejected.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> key_by(|x: u64| x % 8) };
}
