//! Activity per person, from two Nexmark inputs: persons and auctions.
//!
//! ```text
//! cargo run --release --example nexmark_activity            # 1M events
//! cargo run --release --example nexmark_activity -- 200000  # or say how many
//! ```
//!
//! One `stream!` with two inputs, each with its own handle
//! ([`Runtime::port`]): people opening accounts and auctions being
//! created. A `union` of the people and the auctions' sellers counts, per
//! person and 10 s window, how active each person was; beside it, a side
//! branch of the auctions counts those in category 10 (fan-out to a sink).
//! The results are checked against a plain single-threaded reference.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use laminar::prelude::*;
use laminar_examples::driver::event_count;
use laminar_examples::nexmark::DEFAULT_RATE;
use laminar_examples::nexmark_events::{
    Auction, Person, activity, activity_reference, auctions, events, persons,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let all = events(event_count()?, DEFAULT_RATE);
    let (people, sales) = (persons(&all), auctions(&all));
    let category_10 = Arc::new(AtomicU64::new(0));
    let rt = Runtime::builder()
        .cores(2)
        .build(activity(category_10.clone()))?;
    println!("{}", rt.describe());
    let started = Instant::now();
    let mut people_in = rt.port::<Person, _>();
    let mut sales_in = rt.port::<Auction, _>();
    // Each input from its own thread, as two services would feed them.
    std::thread::scope(|s| {
        s.spawn(|| people_in.submit_iter(people.iter().copied()).map(drop));
        s.spawn(|| sales_in.submit_iter(sales.iter().copied()).map(drop));
    });
    drop((people_in, sales_in));
    let mut out = Vec::new();
    let report = rt.finish_into(&mut out)?;
    let elapsed = started.elapsed();

    let mut got: Vec<(u64, u64, u64)> = out.iter().map(|w| (w.key, w.start, w.value)).collect();
    got.sort_unstable();
    assert_eq!(
        got,
        activity_reference(&people, &sales),
        "differs from the reference"
    );
    let in_10 = sales.iter().filter(|a| a.category == 10).count() as u64;
    assert_eq!(category_10.load(Ordering::Relaxed), in_10);

    println!(
        "{} persons and {} auctions ({} in category 10): {} rows of (person, window, activity), as the reference",
        people.len(),
        sales.len(),
        in_10,
        got.len()
    );
    if let Some(top) = got.iter().max_by_key(|r| r.2) {
        println!(
            "most active: person {} with {} in the window from {} ms",
            top.0, top.2, top.1
        );
    }
    println!(
        "{} events in {:.1} ms on 2 cores; {} late",
        report.submitted(),
        elapsed.as_secs_f64() * 1e3,
        report.late()
    );
    Ok(())
}
