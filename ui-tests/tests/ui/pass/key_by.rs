// `key_by` at the head, with a tuple field and with a derived key struct.
use laminar::prelude::*;

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct Account(u64);

#[derive(Clone, Debug)]
struct Payment {
    account: u64,
    cents: u64,
}

fn main() {
    let by_field = stream! {
        (u64, &'static str)
        -> key_by(|e| e.0)
        -> map(|e| e.1)
    };
    let by_struct = stream! {
        Payment
        -> key_by(|p| Account(p.account))
        -> map(|p| p.cents)
    };
    assert!(by_field.describe().contains("key_by"));
    assert!(by_struct.describe().contains("key_by"));
}
