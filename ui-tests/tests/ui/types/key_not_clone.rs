// A key must be `Clone`: a key struct with `Hash + Eq` but no `Clone` is rejected at `key_by`.
use laminar::prelude::*;

#[derive(Hash, PartialEq, Eq)]
struct Account(u64);

struct Payment {
    account: u64,
}

fn main() {
    let _p = stream! { Payment -> key_by(|p| Account(p.account)) };
}
