// Every core gets a clone of each closure: capturing an `Rc` is rejected at the stage.
use laminar::prelude::*;
use std::rc::Rc;

fn main() {
    let factor = Rc::new(3u64);
    let _p = stream! { u64 -> map(move |x| x * *factor) };
}
