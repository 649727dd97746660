// Keying twice would need an exchange between cores: the second `key_by` is rejected.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> key_by(|e| e.1)
    };
}
