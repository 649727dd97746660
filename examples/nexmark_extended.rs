//! Nexmark's extended queries q15, q16 and q17: bidding statistics per
//! day, over all bids, per channel and per auction.
//!
//! ```text
//! cargo run --release --example nexmark_extended            # 1M bids
//! cargo run --release --example nexmark_extended -- 200000  # or say how many
//! ```
//!
//! Each query runs on every core over the same bids, read by a source
//! inside the cores, and its results are checked against the plain
//! reference of [`laminar_examples::reference`]. The pipelines are those of
//! [`laminar_examples::nexmark`]:
//!
//! - q15 (bids, distinct bidders and distinct auctions per day, in total
//!   and per price rank) is one window over all bids, a `window_all`: every
//!   bid goes to core 0, which keeps the day's sets of bidders and
//!   auctions, while the other cores read and forward.
//! - q16 (q15 per channel, with the latest minute) is keyed by channel.
//! - q17 (per auction and day, the bids per rank and the lowest, highest,
//!   average and total price) is keyed by auction.
//!
//! After each query it prints the bids per second and how many cores this
//! process kept busy (its CPU time over the run's wall time); the load
//! average before and after, which counts the machine's other work too,
//! says whether the figures are the pipeline's alone.

use std::time::{Duration, Instant};

use laminar::prelude::*;
use laminar_examples::driver::{Bids, Measured, event_count, generate, run};
use laminar_examples::nexmark::{self, AuctionStats, BidStats, DEFAULT_RATE, PerRank};
use laminar_examples::reference::{self, Counts, Q15Row, Q16Row, Q17Row};

/// What may fail: a runtime error, or results unlike the reference's.
type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// q15 to q17's window: a day.
const DAY: Duration = Duration::from_secs(86_400);

fn main() -> Res<()> {
    let n = event_count()?;
    let bids = generate(n);
    // The reference needs the bids themselves, also when the cores
    // generate theirs: the same generator gives the same bids.
    let all = match &bids {
        Bids::Ready(b) => b.to_vec(),
        Bids::InCores(n) => nexmark::bids(*n, DEFAULT_RATE),
    };
    let day = DAY.as_millis() as u64;
    let mut figures = Vec::new();
    let load_before = load_average();

    let (rows, m) = measure("q15", || run_query(nexmark::q15(DAY), &bids))?;
    let got: Vec<Q15Row> = rows
        .into_iter()
        .map(|w| Q15Row {
            start: w.start,
            end: w.end,
            stats: stats(w.value),
        })
        .collect();
    let want = reference::q15_with(&all, day);
    check("q15", got.clone(), &want)?;
    for r in &got {
        println!(
            "  day {} since the epoch: {} bids, {} bidders, {} auctions",
            r.start / day,
            r.stats.bids.total,
            r.stats.bidders.total,
            r.stats.auctions.total
        );
    }
    figures.push(("q15", m));

    let (rows, m) = measure("q16", || run_query(nexmark::q16(DAY), &bids))?;
    let got: Vec<Q16Row> = rows
        .into_iter()
        .map(|w| {
            let (bids, bidders, auctions, minute) = w.value;
            Q16Row {
                start: w.start,
                end: w.end,
                channel: w.key,
                minute: minute.unwrap_or(0),
                stats: stats((bids, bidders, auctions)),
            }
        })
        .collect();
    let want = reference::q16_with(&all, day);
    check("q16", got.clone(), &want)?;
    let mut busiest = got.clone();
    busiest.sort_by_key(|r| std::cmp::Reverse(r.stats.bids.total));
    for r in busiest.iter().take(4) {
        println!(
            "  channel {:>5}: {} bids, {} bidders, {} auctions",
            r.channel, r.stats.bids.total, r.stats.bidders.total, r.stats.auctions.total
        );
    }
    figures.push(("q16", m));

    let (rows, m) = measure("q17", || run_query(nexmark::q17(DAY), &bids))?;
    let got: Vec<Q17Row> = rows
        .into_iter()
        .map(|w| {
            let s: AuctionStats = w.value;
            Q17Row {
                start: w.start,
                end: w.end,
                auction: w.key,
                bids: counts(s.bids),
                min_price: s.min_price,
                max_price: s.max_price,
                avg_price: s.avg_price,
                sum_price: s.sum_price,
            }
        })
        .collect();
    let want = reference::q17_with(&all, day);
    check("q17", got.clone(), &want)?;
    let mut busiest = got.clone();
    busiest.sort_by_key(|r| std::cmp::Reverse(r.bids.total));
    for r in busiest.iter().take(4) {
        println!(
            "  auction {}: {} bids, {} to {} cents, {} on average",
            r.auction, r.bids.total, r.min_price, r.max_price, r.avg_price
        );
    }
    figures.push(("q17", m));

    println!("\n{n} bids, each query checked against the reference:");
    for (name, m) in &figures {
        println!(
            "  {name}: {:>6.2} M bids/s on {} cores ({:.3} s), {:.2} cores busy",
            n as f64 / m.run.elapsed.as_secs_f64() / 1e6,
            m.run.cores,
            m.run.elapsed.as_secs_f64(),
            m.busy,
        );
    }
    println!(
        "load average (1, 5, 15 min) before: {load_before}, after: {}",
        load_average()
    );
    Ok(())
}

/// A run's figures and the CPU it took.
struct Figures {
    run: Measured,
    /// This process's CPU time over the run's wall time: cores kept busy.
    busy: f64,
}

/// Runs `f`, printing its name first, and measures the CPU it took.
fn measure<T>(name: &str, f: impl FnOnce() -> Res<(T, Measured)>) -> Res<(T, Figures)> {
    println!("\n== {name}");
    let (cpu, wall) = (cpu_time(), Instant::now());
    let (rows, run) = f()?;
    let busy = match (cpu, cpu_time()) {
        (Some(a), Some(b)) => (b - a).as_secs_f64() / wall.elapsed().as_secs_f64(),
        _ => f64::NAN,
    };
    Ok((rows, Figures { run, busy }))
}

/// The machine's load average over 1, 5 and 15 minutes (Linux's
/// `/proc/loadavg`; "unknown" elsewhere).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// This process's user and system CPU time, from `/proc/self/stat` (Linux;
/// `None` elsewhere), in the kernel's clock ticks of 1/100 s.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may
    // hold spaces: utime and stime are the 12th and 13th of them.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 10))
}

/// Runs `pipeline` over `bids` with the examples' driver and keeps its
/// results.
fn run_query<P: Pipeline<In = nexmark::Bid>>(
    pipeline: P,
    bids: &Bids,
) -> Res<(Vec<P::Out>, Measured)>
where
    P::Out: Clone,
{
    let mut rows = Vec::new();
    let measured = run(pipeline, bids, |out: &[P::Out]| rows.extend_from_slice(out))?;
    Ok((rows, measured))
}

/// Fails unless `got` and `want` hold the same rows.
fn check<R: Ord + Clone + std::fmt::Debug>(name: &str, mut got: Vec<R>, want: &[R]) -> Res<()> {
    got.sort_unstable();
    let mut want = want.to_vec();
    want.sort_unstable();
    if got != want {
        let first = got.iter().zip(&want).position(|(a, b)| a != b);
        return Err(format!(
            "{name}: {} rows, {} expected; first difference at {first:?}",
            got.len(),
            want.len()
        )
        .into());
    }
    println!("{name}: {} rows, as the reference", got.len());
    Ok(())
}

fn counts(c: PerRank) -> Counts {
    Counts {
        total: c.total,
        rank: c.rank,
    }
}

fn stats((bids, bidders, auctions): BidStats) -> reference::BidStats {
    reference::BidStats {
        bids: counts(bids),
        bidders: counts(bidders),
        auctions: counts(auctions),
    }
}
