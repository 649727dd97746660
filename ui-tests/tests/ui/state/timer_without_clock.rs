// `process(.., on_timer = ..)` needs a clock: without one its timers would fire only at the end of input.
use laminar::prelude::*;

fn main() {
    let _p = stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> process(
            |_key, e, state, out| {
                *state = Some(e.1);
                out.set_timer(e.1 + 10);
            },
            on_timer = |key, _at, _state, out| out.emit(*key)
        )
    };
}
