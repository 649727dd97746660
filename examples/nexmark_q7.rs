//! Nexmark q7, highest bid: the highest price bid in each 10 s tumbling
//! window, over all auctions.
//!
//! ```text
//! cargo run --release --example nexmark_q7            # 1M bids
//! cargo run --release --example nexmark_q7 -- 200000  # or say how many
//! ```
//!
//! In the benchmark's SQL, q7 is a global `MAX(price)` per window joined
//! back to the bids to name them. Here the pipeline is keyed by auction, so
//! the work spreads over every core: each core keeps, per auction, the
//! highest price of each window, and emits it when the watermark closes the
//! window. The consumer takes the global maximum per window from those
//! per-auction maxima (a max of maxima is the max), and names the auctions
//! that hold it.
//!
//! Bids come from the `nexmark` crate's generator, stripped of their strings
//! before the cores read them; the pipeline is [`laminar_examples::nexmark::q7`].

use std::collections::BTreeMap;

use laminar::prelude::*;
use laminar_examples::driver::{event_count, generate, print_footer, run, secs};
use laminar_examples::nexmark::q7;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bids = generate(event_count()?);

    // Per window start: the highest price so far and the auctions with it.
    let mut best: BTreeMap<u64, (u64, Vec<u64>)> = BTreeMap::new();
    let mut results = 0u64;
    let measured = run(q7(), &bids, |rows: &[Windowed<u64, Option<u64>>]| {
        for w in rows {
            results += 1;
            let Some(price) = w.value else { continue };
            let entry = best.entry(w.start).or_insert((price, Vec::new()));
            if price > entry.0 {
                *entry = (price, Vec::new());
            }
            if price == entry.0 {
                entry.1.push(w.key);
            }
        }
    })?;

    println!(
        "\n{results} per-auction maxima in {} windows of 10 s; the first few:",
        best.len()
    );
    for (start, (price, auctions)) in best.iter().take(5) {
        println!(
            "  [{:>5.1} s, {:>5.1} s): highest bid {price} on auction {auctions:?}",
            secs(*start),
            secs(start + 10_000)
        );
    }
    print_footer(bids.len(), &measured);
    Ok(())
}
