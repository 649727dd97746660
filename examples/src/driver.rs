//! How the Nexmark examples run a pipeline: the event count from the
//! command line, the bids generated up front, a thread feeding the runtime
//! while the caller folds its results, and the throughput printed at the
//! end.

use std::time::{Duration, Instant};

use laminar::prelude::*;

use crate::nexmark::{BASE_TIME, Bid, DEFAULT_RATE, bids};

/// `t` as seconds since [`BASE_TIME`], for printing (the first sliding
/// windows start before it).
pub fn secs(t: u64) -> f64 {
    (t as f64 - BASE_TIME as f64) / 1e3
}

/// The event count from the first argument, else 1M.
pub fn event_count() -> Result<usize, String> {
    match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|e| format!("bad event count {arg:?}: {e}")),
        None => Ok(1_000_000),
    }
}

/// `n` Nexmark bids at the generator's default rate, generated up front so
/// that the throughput measured is the pipeline's, not the generator's.
pub fn generate(n: usize) -> Vec<Bid> {
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
    bids
}

/// What [`run`] measured.
#[derive(Debug)]
pub struct Measured {
    /// The runtime's report.
    pub report: Report,
    /// From the first submit to the end of `finish`.
    pub elapsed: Duration,
    /// Cores the pipeline ran on.
    pub cores: usize,
}

/// Runs `pipeline` over `bids` on every core: a thread submits them in
/// batches while this one drains the results into `fold`, so that no
/// outbox ever fills while the submitter waits.
pub fn run<P: Pipeline<In = Bid>>(
    pipeline: P,
    bids: &[Bid],
    mut fold: impl FnMut(&[P::Out]),
) -> Result<Measured, Box<dyn std::error::Error>> {
    println!("{}", pipeline.describe());
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let mut rt = Runtime::builder()
        .cores(cores)
        .pin_cores(true)
        .build(pipeline)?;
    let mut input = rt.input();
    let mut buf = Vec::with_capacity(1 << 16);
    let started = Instant::now();
    std::thread::scope(|s| {
        let feeder = s.spawn(move || -> Result<(), String> {
            for batch in bids.chunks(4096) {
                input
                    .submit_iter(batch.iter().copied())
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        });
        while !feeder.is_finished() {
            if rt.drain(&mut buf) == 0 {
                std::thread::sleep(Duration::from_micros(500));
            }
            fold(&buf);
            buf.clear();
        }
        feeder
            .join()
            .map_err(|_| "the feeder panicked".to_owned())?
    })?;
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
