// Records cross cores at a mid-pipeline `key_by`, so its key must be `Send`: an `Rc<str>` key after an exchange is rejected at that `key_by`.
use laminar::prelude::*;
use std::rc::Rc;

fn main() {
    let _p = stream! {
        (u64, String)
        -> key_by(|e| e.0)
        -> key_by(|e| Rc::<str>::from(e.1.as_str()))
        -> fold(0u64, |n, _e| n + 1)
    };
}
