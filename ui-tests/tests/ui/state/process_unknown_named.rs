// `process` accepts `on_timer` and nothing else by name.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> process(|_k, e, state, out| { *state = Some(e.1); out.emit(e.1); }, on_time = |_k, _t, _s, _o| {})
    };
}
