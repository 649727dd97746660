// A misspelled operator name is rejected at the name, with the nearest operator suggested.
use laminar::prelude::*;

fn main() {
    let _p = stream! { u64 -> mapp(|x| x + 1) };
}
