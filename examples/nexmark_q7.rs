//! Nexmark q7, highest bid: the highest price bid in each 10 s tumbling
//! window, over all auctions, as one pipeline.
//!
//! ```text
//! cargo run --release --example nexmark_q7            # 1M bids
//! cargo run --release --example nexmark_q7 -- 200000  # or say how many
//! ```
//!
//! In the benchmark's SQL, q7 is a global `MAX(price)` per window. Here it
//! is one `window_all` ([`laminar_examples::nexmark::q7_highest`]), which
//! runs in two phases: each core keeps the highest price of each window
//! over the bids it read, and when a window closes there, sends that one
//! value to core 0, which keeps the highest of the cores' and emits it once
//! every core's watermark has passed the window's end. The bids never
//! leave the core that read them.
//!
//! The results are checked against a plain single-threaded reference.

use laminar::prelude::*;
use laminar_examples::driver::{event_count, generate, print_footer, run, secs};
use laminar_examples::nexmark::q7_highest;
use laminar_examples::reference;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bids = generate(event_count()?);

    let mut best: Vec<(u64, u64, u64)> = Vec::new();
    let measured = run(
        q7_highest(),
        &bids,
        |rows: &[Windowed<(), Option<u64>>]| {
            best.extend(
                rows.iter()
                    .filter_map(|w| w.value.map(|p| (w.start, w.end, p))),
            );
        },
    )?;
    best.sort_unstable();
    assert_eq!(
        best,
        reference::q7_highest(&bids.all()),
        "q7 differs from the reference"
    );

    println!(
        "\nthe highest bid of {} windows of 10 s, as the reference; the first few:",
        best.len()
    );
    for (start, end, price) in best.iter().take(5) {
        println!(
            "  [{:>5.1} s, {:>5.1} s): highest bid {price}",
            secs(*start),
            secs(*end)
        );
    }
    print_footer(bids.len(), &measured);
    Ok(())
}
