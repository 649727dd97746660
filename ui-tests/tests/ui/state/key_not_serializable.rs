// Keyed state stores its keys too: a key with no serde derives gets one error at `fold` that names both `Serialize` and `Deserialize`.
use laminar::prelude::*;

#[derive(Clone, Hash, PartialEq, Eq)]
struct Account(u64);

fn main() {
    let _p = stream! {
        (u64, u64)
        -> key_by(|e| Account(e.0))
        -> fold(0u64, |acc, e| acc + e.1)
    };
}
