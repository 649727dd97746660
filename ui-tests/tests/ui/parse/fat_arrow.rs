// `=>` instead of `->` between stages: the error points at the `=>`.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 => map(|x| x + 1) };
}
