// The transform operators chain and infer their closures' types: map, filter, filter_map, flat_map, inspect.
use laminar::prelude::*;

fn main() {
    let p = stream! {
        &'static str
        -> filter_map(|s| s.parse::<u32>().ok())
        -> filter(|n| *n > 0)
        -> flat_map(|n| 0..n)
        -> inspect(|n| assert!(*n < 100))
        -> map(|n| u64::from(n) * 2)
    };
    let mut chain = p.instantiate(0);
    let mut out: Vec<u64> = Vec::new();
    for s in ["3", "x", "0", "2"] {
        chain.on_event(s, &mut out);
    }
    assert_eq!(out, [0, 2, 4, 0, 2]);
}
