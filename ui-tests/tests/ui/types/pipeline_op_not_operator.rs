// A hand-written `Pipeline` (for `Runtime` without `stream!`) whose `Op` is not an `Operator`.
use laminar::{Pipeline, RoundRobin};

struct Numbers;

impl Pipeline for Numbers {
    type In = u64;
    type Out = u64;
    type Op = u64;
    type Route = RoundRobin;
    fn route(&self) -> RoundRobin {
        RoundRobin::default()
    }
    fn instantiate(&self, _core: usize) -> u64 {
        0
    }
}

fn main() {}
