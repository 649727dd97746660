// Two streams that read each other (a cycle): the first read of a stream defined later is the error.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        let a = b -> map(|x: u64| x + 1);
        let b = a -> map(|x| x * 2);
        b -> filter(|x| *x > 3)
    };
}
