// Every core gets a clone of each closure: a closure that owns a non-`Clone` value is rejected at the stage.
use laminar::prelude::*;

struct Tally {
    count: u64,
}

impl Tally {
    fn bump(&mut self) {
        self.count += 1;
    }
}

fn main() {
    let mut tally = Tally { count: 0 };
    let _p = stream! { u64 -> inspect(move |_| tally.bump()) };
}
