// `fold` spends the key of the `key_by` before it: a `process` right after needs a new `key_by`, and the error names the `fold` that used the key.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> fold(0u64, |sum, e| sum + e.1)
        -> process(|_key, total, state, out| {
            *state = Some(total);
            out.emit(total);
        })
    };
}
