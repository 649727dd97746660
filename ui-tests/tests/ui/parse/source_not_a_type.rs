// A value where the event type should be: the error points at the value.
use laminar::prelude::*;

fn main() {
    let _p = stream! { 42 -> map(|x: u64| x) };
}
