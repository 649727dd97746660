// A pipeline that starts with a stage, not its event type, gets one error saying the type comes first.
use laminar::prelude::*;

fn main() {
    let _p = stream! { map(|x: u64| x + 1) -> filter(|x| *x > 1) };
}
