// An operator name far from every known one: no suggestion, but the list of operators.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> aggregate_everything(|x| x) };
}
