// `window_all` over every event, on the wall clock with `processing_time()`, then a `map` of its results.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Reading {
    celsius: f32,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! {
        Reading
        -> processing_time()
        -> window_all(tumbling(1h))
        -> aggregate(count(), min(|r| r.celsius), max(|r| r.celsius))
        -> map(|w| w.value)
    };
    let rt = Runtime::builder().cores(2).build(p)?;
    let mut input = rt.input();
    for celsius in [20.5, 18.0, 22.25] {
        input.submit(Reading { celsius })?;
    }
    drop(input);
    let mut out = Vec::new();
    rt.finish_into(&mut out)?;
    // The hour may turn during the run: then two windows share the events.
    assert_eq!(out.iter().map(|v| v.0).sum::<u64>(), 3);
    Ok(())
}
