// A pipeline that starts with `->` has no event type; the error points at the first arrow.
use laminar::prelude::*;

fn main() {
    let _p = stream! { -> map(|x: u64| x) };
}
