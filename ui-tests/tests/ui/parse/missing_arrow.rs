// Two stages without `->` between them: the error points at the second stage.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> map(|x| x + 1) filter(|x| *x > 3) };
}
