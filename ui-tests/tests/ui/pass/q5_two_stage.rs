// Nexmark q5 in two stages as one graph: bids counted per auction in sliding windows, re-keyed by window start, then the highest count per window; it compiles and runs on 2 cores.
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    at: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! {
        Bid
        -> event_time(|b| b.at, lateness = 2s)
        -> key_by(|b| b.auction)
        -> window(sliding(10s, 2s))
        -> aggregate(count())
        -> key_by(|w| w.start)
        -> window(tumbling(2s))
        -> aggregate(max(|w| w.value))
    };
    let rt = Runtime::builder().cores(2).build(p)?;
    // All bids fall in [0, 2 s), so every first-stage window holds all of
    // them: auction 1 has 2 bids in each, auction 2 has 1.
    rt.input().submit_iter([
        Bid {
            auction: 1,
            at: 1_000,
        },
        Bid {
            auction: 2,
            at: 1_200,
        },
        Bid {
            auction: 1,
            at: 1_500,
        },
    ])?;
    let mut out = Vec::new();
    rt.finish_into(&mut out)?;
    assert!(!out.is_empty());
    assert!(out.iter().all(|w| w.value == Some(2)), "{out:?}");
    let mut starts: Vec<u64> = out.iter().map(|w| w.key).collect();
    starts.sort_unstable();
    starts.dedup();
    assert_eq!(
        starts.len(),
        out.len(),
        "one result per first-stage window: {out:?}"
    );
    Ok(())
}
