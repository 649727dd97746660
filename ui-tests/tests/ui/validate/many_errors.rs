// Several shape errors in one pipeline are all reported together, each at its own stage.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        u64
        -> mapp(|x| x + 1)
        -> filter()
        -> processing_time()
    };
}
