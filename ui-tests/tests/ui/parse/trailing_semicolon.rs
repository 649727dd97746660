// A `;` after the last stage: the error points at the semicolon.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> map(|x| x + 1); };
}
