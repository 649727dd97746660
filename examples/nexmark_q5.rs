//! Nexmark q5, hot items: in each 10 s window sliding by 2 s, the auctions
//! with the most bids.
//!
//! ```text
//! cargo run --release --example nexmark_q5            # 1M bids
//! cargo run --release --example nexmark_q5 -- 200000  # or say how many
//! ```
//!
//! In the benchmark's SQL, q5 counts bids per auction per hopping window,
//! then keeps the auctions whose count is the window's maximum. Here the
//! pipeline does the first half, keyed by auction so that it spreads over
//! every core: each core counts, per auction, the bids of every window
//! (kept as 2 s panes, merged when a window fires) and emits the counts
//! when the watermark closes the window. The consumer does the second half:
//! per window, the highest count and the auctions that have it.
//!
//! Bids come from the `nexmark` crate's generator, stripped of their strings
//! before the cores read them; the pipeline is [`laminar_examples::nexmark::q5`].

use std::collections::BTreeMap;

use laminar::prelude::*;
use laminar_examples::driver::{event_count, generate, print_footer, run, secs};
use laminar_examples::nexmark::q5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bids = generate(event_count()?);

    // Per window start: the highest count so far and the auctions with it.
    let mut hot: BTreeMap<u64, (u64, Vec<u64>)> = BTreeMap::new();
    let mut results = 0u64;
    let measured = run(q5(), &bids, |rows: &[Windowed<u64, u64>]| {
        for w in rows {
            results += 1;
            let entry = hot.entry(w.start).or_insert((w.value, Vec::new()));
            if w.value > entry.0 {
                *entry = (w.value, Vec::new());
            }
            if w.value == entry.0 {
                entry.1.push(w.key);
            }
        }
    })?;

    println!(
        "\n{results} per-auction counts in {} windows of 10 s every 2 s; a few:",
        hot.len()
    );
    for (start, (count, auctions)) in hot.iter().step_by(5).take(6) {
        println!(
            "  [{:>5.1} s, {:>5.1} s): {count} bids on auction {auctions:?}",
            secs(*start),
            secs(start + 10_000)
        );
    }
    print_footer(bids.len(), &measured);
    Ok(())
}
