// Driving a pipeline's chain by hand into a sink of the wrong item type: the `Emit` message names both types.
use laminar::prelude::*;

fn main() {
    let p = stream! { u64 -> map(|x| x * 2) };
    let mut chain = p.instantiate(0);
    let mut out: Vec<String> = Vec::new();
    chain.on_event(21, &mut out);
}
