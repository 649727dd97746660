// A mid-pipeline `key_by` into `process` with `on_timer` under `event_time`: the records keep their time through `map` and the exchange, and the timers fire.
use laminar::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! {
        (u64, u64)                 // (user, timestamp)
        -> event_time(|e| e.1)
        -> map(|e| (e.0 % 2, e.1))
        -> key_by(|e| e.0)
        -> process(
            |_key, e, state, out| {
                if state.is_none() {
                    out.set_timer(e.1 + 100);
                }
                *state = Some(state.unwrap_or(0u64) + 1);
            },
            on_timer = |key, _at, state, out| {
                out.emit((*key, state.take().unwrap_or(0)));
            }
        )
    };
    let rt = Runtime::builder().cores(2).build(p)?;
    rt.input()
        .submit_iter([(1, 1), (2, 2), (3, 3), (5, 4), (7, 500)])?;
    let mut out = Vec::new();
    rt.finish_into(&mut out)?;
    out.sort_unstable();
    // One `submit_iter` sends its watermark (500) after all its records,
    // so each key's first timer fires once it has seen all of them; the
    // timers' emits are the only output.
    assert_eq!(out, [(0, 1), (1, 4)]);
    Ok(())
}
