// `for_each` ends the pipeline: a stage after it is rejected at that stage.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> for_each(|x| drop(x)) -> map(|x| x + 1) };
}
