// A key must be `Send`: an `Rc<str>` key is rejected at `key_by`.
use laminar::prelude::*;
use std::rc::Rc;

fn main() {
    let _p = stream! { String -> key_by(|s| Rc::<str>::from(s.as_str())) };
}
