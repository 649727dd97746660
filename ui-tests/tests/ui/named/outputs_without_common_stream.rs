// Several outputs must part from one stream: two outputs from two inputs that never meet are an error at the outputs.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let small = u32 -> map(|x| x + 1);
        let large = u64 -> map(|x| x * 2);
        (small, large)
    };
}
