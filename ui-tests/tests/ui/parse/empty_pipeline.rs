// An empty `stream! {}` is rejected: a pipeline starts with the type of its events.
use laminar::prelude::*;

fn main() {
    let _p = stream! {};
}
