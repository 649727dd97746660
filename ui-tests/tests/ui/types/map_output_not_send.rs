// What `map` produces becomes the next event: an `Rc<u64>` output is rejected at the `map`.
use laminar::prelude::*;
use std::rc::Rc;

fn main() {
    let _p = stream! { u64 -> map(|x| Rc::new(x)) };
}
