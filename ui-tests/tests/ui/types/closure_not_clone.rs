// Every core gets a clone of each closure: a closure that owns a non-`Clone` value is rejected at the stage.
use laminar::prelude::*;

struct HitCounterWithoutClone {
    count: u64,
}

impl HitCounterWithoutClone {
    fn bump(&mut self) {
        self.count += 1;
    }
}

fn main() {
    let mut hits = HitCounterWithoutClone { count: 0 };
    let _p = stream! { u64 -> inspect(move |_| hits.bump()) };
}
