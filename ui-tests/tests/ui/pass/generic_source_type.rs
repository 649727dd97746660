// Source types with generics and tuples: `(u64, String)`, `Vec<u8>`, `Option<std::sync::Arc<str>>`.
use laminar::prelude::*;
use std::sync::Arc;

fn main() {
    let pairs = stream! { (u64, String) -> map(|(n, s)| s.len() as u64 + n) };
    let bytes = stream! { Vec<u8> -> flat_map(|v| v) -> filter(|b| *b != 0) };
    let names = stream! { Option<std::sync::Arc<str>> -> filter_map(|o| o) -> map(|s| s.len()) };

    let mut out = Vec::new();
    pairs
        .instantiate(0)
        .on_event((1, "ab".to_owned()), &mut out);
    assert_eq!(out, [3]);

    let mut out = Vec::new();
    bytes.instantiate(0).on_event(vec![0, 7, 0, 9], &mut out);
    assert_eq!(out, [7, 9]);

    let mut out = Vec::new();
    let mut chain = names.instantiate(0);
    chain.on_event(None, &mut out);
    chain.on_event(Some(Arc::from("abc")), &mut out);
    assert_eq!(out, [3]);
}
