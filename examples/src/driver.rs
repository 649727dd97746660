//! How the Nexmark examples run a pipeline: the event count from the
//! command line, the bids generated up front (or inside the cores), a
//! source inside the cores reading them while the caller folds the
//! results, and the throughput printed at the end.

use std::time::{Duration, Instant};

use laminar::prelude::*;

use std::sync::Arc;

use laminar::source;

use crate::nexmark::{BASE_TIME, Bid, DEFAULT_RATE, bid_source, bids};

/// `t` as seconds since [`BASE_TIME`], for printing (the first sliding
/// windows start before it).
pub fn secs(t: u64) -> f64 {
    (t as f64 - BASE_TIME as f64) / 1e3
}

/// The event count from the first argument, else 1M.
pub fn event_count() -> Result<usize, String> {
    match std::env::args().nth(1).filter(|a| !a.starts_with("--")) {
        Some(arg) => arg
            .parse()
            .map_err(|e| format!("bad event count {arg:?}: {e}")),
        None => Ok(1_000_000),
    }
}

/// Where the bids come from.
#[derive(Clone, Debug)]
pub enum Bids {
    /// Generated up front and read by the cores from memory, so that the
    /// throughput measured is the pipeline's, not the generator's.
    Ready(Arc<[Bid]>),
    /// Generated inside the cores as they run, each its share
    /// ([`bid_source`]): the generator's cost is in the throughput.
    InCores(usize),
}

impl Bids {
    /// Every bid, in memory: the same bids the cores read or generate, for
    /// checking a run against a reference.
    pub fn all(&self) -> Vec<Bid> {
        match self {
            Bids::Ready(b) => b.to_vec(),
            Bids::InCores(n) => crate::nexmark::bids(*n, DEFAULT_RATE),
        }
    }

    /// How many.
    pub fn len(&self) -> usize {
        match self {
            Bids::Ready(b) => b.len(),
            Bids::InCores(n) => *n,
        }
    }

    /// True if none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `n` Nexmark bids at the generator's default rate: generated up front,
/// or, with `--generate-in-cores` on the command line, by the cores.
pub fn generate(n: usize) -> Bids {
    if std::env::args().any(|a| a == "--generate-in-cores") {
        println!("{n} Nexmark bids, generated inside the cores as they run");
        return Bids::InCores(n);
    }
    let started = Instant::now();
    let bids = bids(n, DEFAULT_RATE);
    let span = match (bids.first(), bids.last()) {
        (Some(a), Some(b)) => (b.date_time - a.date_time) as f64 / 1e3,
        _ => 0.0,
    };
    println!(
        "generated {} Nexmark bids over {span:.1} s of event time in {:.2} s",
        bids.len(),
        started.elapsed().as_secs_f64()
    );
    Bids::Ready(bids.into())
}

/// What [`run`] measured.
#[derive(Debug)]
pub struct Measured {
    /// The runtime's report.
    pub report: Report,
    /// From the start of the run to the end of `finish`.
    pub elapsed: Duration,
    /// Cores the pipeline ran on.
    pub cores: usize,
}

/// Runs `pipeline` over `bids` on every core, the bids read by a source
/// inside the cores (each core reads its share; bids whose auction
/// belongs to another core cross to it through the exchange); the results
/// are collected as they come and folded at the end.
pub fn run<P: Pipeline<In = Bid>>(
    pipeline: P,
    bids: &Bids,
    mut fold: impl FnMut(&[P::Out]),
) -> Result<Measured, Box<dyn std::error::Error>> {
    println!("{}", pipeline.describe());
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let rt = Runtime::builder()
        .cores(cores)
        .pin_cores(true)
        .build(pipeline)?;
    let mut buf = Vec::with_capacity(1 << 16);
    let started = Instant::now();
    match bids {
        Bids::Ready(b) => rt.attach(source::from_slice(b.clone())),
        Bids::InCores(n) => rt.attach(bid_source(*n, DEFAULT_RATE)),
    }
    // The cores read on their own; this thread says how far they are,
    // once a second, then `finish_into` collects the results.
    let mut shown = Instant::now();
    while !rt.sources_done() {
        std::thread::sleep(Duration::from_millis(2));
        if shown.elapsed() >= Duration::from_secs(1) {
            println!("  {}", rt.progress());
            shown = Instant::now();
        }
    }
    let report = rt.finish_into(&mut buf)?;
    let elapsed = started.elapsed();
    fold(&buf);
    if report.events_in() != bids.len() as u64 || report.late() != 0 {
        return Err(format!(
            "{} of {} bids consumed, {} late",
            report.events_in(),
            bids.len(),
            report.late()
        )
        .into());
    }
    Ok(Measured {
        report,
        elapsed,
        cores,
    })
}

/// Prints the throughput and the runtime's report.
pub fn print_footer(bids: usize, m: &Measured) {
    println!(
        "\nthroughput: {:.2} M bids/s on {} cores ({bids} bids in {:.3} s)\n",
        bids as f64 / m.elapsed.as_secs_f64() / 1e6,
        m.cores,
        m.elapsed.as_secs_f64()
    );
    println!("{}", m.report);
}
