//! Nexmark q11, user sessions: per bidder, the number of bids in each
//! session, a session ending after 10 s without a bid.
//!
//! ```text
//! cargo run --release --example nexmark_q11            # 1M bids
//! cargo run --release --example nexmark_q11 -- 200000  # or say how many
//! ```
//!
//! This is the benchmark's query as it stands: a session window per bidder
//! with a 10 s gap, counting bids. The pipeline is keyed by bidder, so each
//! bidder's sessions live on one core; a session `[first bid, last bid +
//! 10 s)` is emitted when the watermark passes its end, and merged with its
//! neighbour if a bid bridges the two. The consumer only looks: the longest
//! sessions, and how many there were.
//!
//! Bids come from the `nexmark` crate's generator, stripped of their strings
//! before the cores read them; the pipeline is [`laminar_examples::nexmark::q11`].

use laminar::prelude::*;
use laminar_examples::driver::{event_count, generate, print_footer, run, secs};
use laminar_examples::nexmark::q11;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bids = generate(event_count()?);

    // (bids, bidder, start, end) of every session.
    let mut sessions: Vec<(u64, u64, u64, u64)> = Vec::new();
    let measured = run(q11(), &bids, |rows: &[Windowed<u64, u64>]| {
        sessions.extend(rows.iter().map(|w| (w.value, w.key, w.start, w.end)));
    })?;

    sessions.sort_unstable_by(|a, b| b.cmp(a));
    let single = sessions.iter().filter(|s| s.0 == 1).count();
    println!(
        "\n{} sessions of {} bidders ({single} of a single bid); the longest:",
        sessions.len(),
        {
            let mut bidders: Vec<u64> = sessions.iter().map(|s| s.1).collect();
            bidders.sort_unstable();
            bidders.dedup();
            bidders.len()
        }
    );
    for &(count, bidder, start, end) in sessions.iter().take(5) {
        println!(
            "  bidder {bidder}: {count} bids in [{:>5.1} s, {:>5.1} s)",
            secs(start),
            secs(end)
        );
    }
    print_footer(bids.len(), &measured);
    Ok(())
}
