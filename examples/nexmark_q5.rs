//! Nexmark q5, hot items: in each 10 s window sliding by 2 s, the auctions
//! with the most bids, as one pipeline.
//!
//! ```text
//! cargo run --release --example nexmark_q5            # 1M bids
//! cargo run --release --example nexmark_q5 -- 200000  # or say how many
//! ```
//!
//! In the benchmark's SQL, q5 counts bids per auction per hopping window,
//! then keeps the auctions whose count is the window's maximum. Here both
//! halves are one graph ([`laminar_examples::nexmark::q5_hot`]): the bids,
//! keyed by auction, are counted per window on the core that owns the
//! auction; the counts, re-keyed by their window's start (an exchange
//! between cores), meet on the core that owns the window, whose second
//! window keeps the highest count and the auctions that have it. Each
//! count carries its window's last millisecond, so the second window
//! (tumbling, 2 s) holds exactly the counts of one first window.
//!
//! The results are checked against a plain single-threaded reference.

use laminar::prelude::*;
use laminar_examples::driver::{event_count, generate, print_footer, run, secs};
use laminar_examples::nexmark::q5_hot;
use laminar_examples::reference;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bids = generate(event_count()?);

    let mut hot: Vec<(u64, u64, u64, u64)> = Vec::new();
    let measured = run(
        q5_hot(),
        &bids,
        |rows: &[Windowed<u64, (u64, Vec<u64>)>]| {
            for w in rows {
                let (count, auctions) = &w.value;
                for &a in auctions {
                    hot.push((w.key, w.key + 10_000, a, *count));
                }
            }
        },
    )?;
    hot.sort_unstable();
    let want = reference::q5_hot(&bids.all());
    assert_eq!(hot, want, "q5 differs from the reference");

    println!(
        "\n{} hot auctions over the windows of 10 s every 2 s, as the reference; a few:",
        hot.len()
    );
    for (start, end, auction, count) in hot.iter().step_by(5).take(6) {
        println!(
            "  [{:>5.1} s, {:>5.1} s): {count} bids on auction {auction}",
            secs(*start),
            secs(*end)
        );
    }
    print_footer(bids.len(), &measured);
    Ok(())
}
