// `union` of streams of different record types: rustc rejects it (the macro does not know the types).
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let small = u32 -> map(|x| x + 1);
        let large = u64 -> map(|x| x * 2);
        union(small, large) -> filter(|x| *x > 3)
    };
}
