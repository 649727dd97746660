// reduce, fold and process compile, and process's state and output types are inferred from its body.
use laminar::prelude::*;

fn main() {
    let _reduce = stream! { (u64, u64) -> key_by(|e| e.0) -> reduce(|a, b| (a.0, a.1 + b.1)) };
    let _fold = stream! { (u64, u64) -> key_by(|e| e.0) -> fold(0u64, |n, _e| n + 1) };
    let _process = stream! {
        (u64, u64)
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> process(
            |key, e, state, out| {
                *state = Some(state.unwrap_or(0u64) + e.1);
                out.set_timer(e.1 + 1_000);
                out.emit((*key, e.1));
            },
            on_timer = |key, at, state, out| {
                out.emit((*key, at + state.take().unwrap_or(0)));
            }
        )
    };
}
