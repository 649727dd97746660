// `window_all` after a keyed window: the per-key results are gathered on core 0 and aggregated over all keys (how many keys, and the highest count).
use laminar::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! {
        (u64, u64)                 // (key, timestamp)
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(tumbling(10ms))
        -> aggregate(count())
        -> window_all(tumbling(10ms))
        -> aggregate(count(), max(|w| w.value))
    };
    let rt = Runtime::builder().cores(2).build(p)?;
    rt.input()
        .submit_iter([(1, 1), (2, 2), (1, 3), (3, 4), (1, 12), (2, 15)])?;
    let mut out = Vec::new();
    rt.finish_into(&mut out)?;
    out.sort_by_key(|w| w.start);
    let got: Vec<_> = out.iter().map(|w| (w.start, w.value)).collect();
    assert_eq!(got, [(0, (3, Some(2))), (10, (2, Some(1)))]);
    Ok(())
}
