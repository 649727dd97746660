// Three exchanges in a row, each spent by a stateful stage (`reduce`, `fold`, `process`) before the next `key_by`; each stage emits once per record, so all records come through.
use laminar::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! {
        (u64, u64)
        -> map(|e| (e.0 % 5, e.1))
        -> key_by(|e| e.0)
        -> reduce(|a, b| (a.0, a.1 + b.1))
        -> key_by(|r| r.1 .1 % 3)
        -> fold(0u64, |n, _r| n + 1)
        -> key_by(|r| r.1 % 2)
        -> process(|key, r, state, out| {
            *state = Some(state.unwrap_or(0u64) + 1);
            out.emit((*key, r.1));
        })
    };
    let rt = Runtime::builder().cores(2).build(p)?;
    rt.input().submit_iter((0..40u64).map(|i| (i, i * 7)))?;
    let mut out = Vec::new();
    rt.finish_into(&mut out)?;
    assert_eq!(out.len(), 40);
    assert!(out.iter().all(|(parity, n)| n % 2 == *parity));
    Ok(())
}
