//! Quickstart: a keyed pipeline over generated auction bids, on every core.
//!
//! ```text
//! cargo run --release --example quickstart            # 10M bids
//! cargo run --release --example quickstart -- 1000000 # or say how many
//! ```
//!
//! Bids are routed to cores by auction id, so each auction's bids meet on one
//! core; each core keeps the bids above a reserve and turns them into
//! (auction, price) results, which the main thread drains from the
//! runtime's outboxes while it submits. Every second it prints how far the
//! cores are (`Runtime::progress`); at the end, the pipeline's flowchart, a
//! summary of the results, the throughput and the runtime's per-core
//! report as a table, and it checks that nothing was lost.

use std::time::Instant;

use laminar::prelude::*;

#[derive(Clone, Copy, Debug)]
struct Bid {
    auction: u64,
    price: u64,
}

/// A deterministic stream of bids: xorshift, so runs are comparable.
fn bids(n: u64) -> impl Iterator<Item = Bid> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..n).map(move |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        Bid {
            auction: x % 1_000,
            price: (x >> 32) % 100_000,
        }
    })
}

const RESERVE: u64 = 50_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|e| format!("bad event count {arg:?}: {e}"))?,
        None => 10_000_000,
    };

    let pipeline = stream! {
        Bid
        -> key_by(|b| b.auction)
        -> filter(|b| b.price >= RESERVE)
        -> map(|b| (b.auction, b.price))
    };
    println!("{}", pipeline.describe());

    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let mut rt = Runtime::builder()
        .cores(cores)
        .pin_cores(true)
        .build(pipeline)?;
    // The service pattern: this thread submits, another reads the results
    // as they come. The reader owns the output handle; the pipeline waits
    // for it when it falls behind, so memory stays bounded.
    let output = rt.output()?;
    let reader = std::thread::spawn(move || {
        let mut results = 0u64;
        let mut best = vec![0u64; 1_000];
        for (auction, price) in output {
            results += 1;
            let b = &mut best[auction as usize];
            *b = (*b).max(price);
        }
        (results, best)
    });

    let start = Instant::now();
    let mut expected = 0u64;
    let mut input = rt.input();
    let mut events = bids(n).inspect(|b| expected += u64::from(b.price >= RESERVE));
    let mut shown = Instant::now();
    // In chunks, so that this thread can say how far the cores are.
    while input.submit_iter(events.by_ref().take(1 << 20))?.total() > 0 {
        if shown.elapsed().as_secs_f64() >= 1.0 {
            println!("  {}", rt.progress());
            shown = Instant::now();
        }
    }
    drop(input);
    let report = rt.finish()?;
    let (results, best) = reader.join().map_err(|_| "the reader thread panicked")?;
    let elapsed = start.elapsed();

    let top = best.iter().enumerate().max_by_key(|&(_, p)| *p);
    println!("\n{n} bids on {cores} cores: {results} above the reserve of {RESERVE}");
    if let Some((auction, price)) = top {
        println!("highest bid: {price} on auction {auction}");
    }
    println!(
        "throughput: {:.1} M bids/s ({:.3} s)\n",
        n as f64 / elapsed.as_secs_f64() / 1e6,
        elapsed.as_secs_f64()
    );
    println!("{report}");

    if results != expected || report.events_in() != n {
        return Err(format!(
            "lost events: {results} results for {expected} expected, {} of {n} bids consumed",
            report.events_in()
        )
        .into());
    }
    Ok(())
}
