// Named streams: a stream read by name, a `union` of two inputs and a side sink all compile, and the output is the last flow's.
use laminar::prelude::*;

fn main() {
    let read_by_name = stream! {
        let doubled = u64 -> map(|x| x * 2);
        doubled -> filter(|x| *x > 3)
    };
    let union_and_side = stream! {
        let small = u32 -> map(|x| u64::from(x));
        let large = u64 -> filter(|x| *x > 1);
        small -> for_each(|x| println!("{x}"));
        union(small, large) -> map(|x| x + 1)
    };
    assert!(read_by_name.describe().contains("filter"));
    assert!(union_and_side.describe().contains("union"));
}
