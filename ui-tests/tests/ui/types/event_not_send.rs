// Events move between cores: an `Rc` event type is rejected at the source type.
use laminar::prelude::*;
use std::rc::Rc;

fn main() {
    let _p = stream! { Rc<u64> -> map(|x| *x) };
}
