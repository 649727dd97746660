// `emit = on_update` with `allowed_lateness`: a window fires after every event that updates it.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Click {
    page: u32,
    at: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! {
        Click
        -> event_time(|c| c.at, lateness = 5ms)
        -> key_by(|c| c.page)
        -> window(tumbling(10ms), allowed_lateness = 1s, emit = on_update)
        -> aggregate(count())
    };
    let rt = Runtime::builder().cores(1).build(p)?;
    let mut input = rt.input();
    for at in [1, 2, 3] {
        input.submit(Click { page: 7, at })?;
    }
    drop(input);
    let mut out = Vec::new();
    rt.finish_into(&mut out)?;
    let counts: Vec<u64> = out.iter().map(|w| w.value).collect();
    assert!(counts.starts_with(&[1, 2, 3]), "{counts:?}");
    Ok(())
}
