//! The peers bench: Nexmark q0, q1, q2, q5 and q7 (their keyed parts, and
//! q5 and q7 whole as `q5-hot` and `q7-highest`) over the same generated
//! bids, through every system of `laminar_benches::peers::SYSTEMS` (a hand
//! loop, Laminar's chain and runtime, timely dataflow, renoir).
//!
//! `cargo run --release -p laminar-benches --features peers --bin peers --
//! [ROUNDS] [EVENTS] [QUERIES] [SYSTEMS]`: ROUNDS (default 5) interleaved
//! rounds of EVENTS bids (default 10,000,000); QUERIES a comma-separated
//! subset (`q0,q7`; default all); SYSTEMS only the systems whose name
//! contains it (`renoir`; default all), for profiling one, or with a
//! leading `!` all but those (`'!own windows'`).
//!
//! The bids are generated once, before any timing. The hand loop's output
//! digest is taken first, untimed; every timed run's digest is checked
//! equal to it before its figure is kept, and a mismatch stops the bench.
//! Round r runs every query on every system once, the systems in an order
//! rotated by r, so that a slow spell of the shared machine falls on a
//! different system each round. The tables give, per system and query,
//! the median events/s over the rounds, and the medians of the ratios
//! taken within each round to Laminar's runtime and to timely on as many
//! cores, and to the hand loop: those ratios are what the machine's swings
//! cancel out of.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use laminar_benches::peers::{Family, Query, SYSTEMS, System, hand};
use laminar_examples::nexmark::{Bid, DEFAULT_RATE, bids};

/// The peers' crates.io versions, as `Cargo.lock` has them.
const VERSIONS: &str = "timely 0.32.0, renoir 0.6.0";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = args.first().map_or(5, |a| a.parse().expect("ROUNDS"));
    let events: usize = args
        .get(1)
        .map_or(10_000_000, |a| a.replace('_', "").parse().expect("EVENTS"));
    let queries: Vec<Query> = match args.get(2) {
        None => Query::ALL.to_vec(),
        Some(list) => list
            .split(',')
            .map(|name| {
                *Query::ALL
                    .iter()
                    .find(|q| q.name() == name)
                    .unwrap_or_else(|| {
                        let names: Vec<_> = Query::ALL.iter().map(|q| q.name()).collect();
                        panic!("no query {name}: one of {}", names.join(", "))
                    })
            })
            .collect(),
    };
    let only = args.get(3).map_or("", String::as_str);
    // `!NAME` leaves out the systems whose name contains NAME.
    let runs = |s: &System| match only.strip_prefix('!') {
        Some(out) => !s.name.contains(out),
        None => s.name.contains(only),
    };
    assert!(rounds > 0, "at least one round");

    let load_before = loadavg();
    let started = Instant::now();
    let bids: Arc<[Bid]> = bids(events, DEFAULT_RATE).into();
    eprintln!(
        "{events} bids generated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let expected: Vec<_> = queries
        .iter()
        .map(|&q| hand::run(q, &bids).expect("the hand loop runs every query"))
        .collect();
    for (q, d) in queries.iter().zip(&expected) {
        eprintln!("{}: {} rows, digest {:#018x}", q.name(), d.rows, d.sum);
    }

    // rates[query][system]: events/s per round, or None where the system
    // cannot express the query.
    let mut rates: Vec<Vec<Option<Vec<f64>>>> =
        vec![vec![Some(Vec::new()); SYSTEMS.len()]; queries.len()];
    for round in 0..rounds {
        for (qi, &query) in queries.iter().enumerate() {
            for k in 0..SYSTEMS.len() {
                let si = (k + round) % SYSTEMS.len();
                let system = &SYSTEMS[si];
                if !runs(system) {
                    rates[qi][si] = None;
                    continue;
                }
                let t = Instant::now();
                let digest = (system.run)(query, black_box(&bids));
                let secs = t.elapsed().as_secs_f64();
                let Some(digest) = digest else {
                    rates[qi][si] = None;
                    continue;
                };
                assert_eq!(
                    digest,
                    expected[qi],
                    "{} gave another output than the hand loop on {}",
                    system.name,
                    query.name()
                );
                if let Some(r) = &mut rates[qi][si] {
                    r.push(events as f64 / secs);
                }
            }
        }
        eprintln!("round {}/{rounds} done, load {}", round + 1, loadavg());
    }
    let load_after = loadavg();

    println!(
        "# Peers bench: {events} Nexmark bids, {rounds} interleaved rounds, every output checked equal to the hand loop's\n"
    );
    println!("{VERSIONS}; load average (1, 5, 15 min) before {load_before}, after {load_after}.\n");
    println!("## Median M events/s (slowest–fastest round)\n");
    table(&queries, |qi, si| {
        rates[qi][si].as_ref().map(|r| {
            let m = median(r.clone()) / 1e6;
            let lo = r.iter().copied().fold(f64::INFINITY, f64::min) / 1e6;
            let hi = r.iter().copied().fold(0.0, f64::max) / 1e6;
            format!("{m:.0} ({lo:.0}–{hi:.0})")
        })
    });
    for (family, title) in [
        (
            Family::Runtime,
            "÷ Laminar runtime through an input handle on as many cores",
        ),
        (Family::Timely, "÷ timely on as many workers"),
        (Family::Hand, "÷ the hand-written loop"),
    ] {
        println!("\n## Same-run speed ratio {title} (median of the per-round ratios)\n");
        table(&queries, |qi, si| {
            let reference = reference(family, SYSTEMS[si].cores)?;
            let (mine, theirs) = (rates[qi][si].as_ref()?, rates[qi][reference].as_ref()?);
            let ratios = mine.iter().zip(theirs).map(|(a, b)| a / b).collect();
            Some(format!("{:.2}", median(ratios)))
        });
    }
}

/// The system of `family` on `cores` cores, or on one core if it has no
/// such entry.
fn reference(family: Family, cores: usize) -> Option<usize> {
    let of = |c: usize| {
        SYSTEMS
            .iter()
            .position(|s: &System| s.family == family && s.cores == c)
    };
    of(cores).or_else(|| of(1))
}

/// Prints a Markdown table, a row per system and a column per query, each
/// cell `cell(query, system)` or `—`.
fn table(queries: &[Query], cell: impl Fn(usize, usize) -> Option<String>) {
    let names: Vec<_> = queries.iter().map(|q| q.name()).collect();
    println!("| system | {} |", names.join(" | "));
    println!("|---|{}", "---:|".repeat(queries.len()));
    for (si, system) in SYSTEMS.iter().enumerate() {
        let cells: Vec<String> = (0..queries.len())
            .map(|qi| cell(qi, si).unwrap_or_else(|| "—".to_owned()))
            .collect();
        println!("| {} | {} |", system.name, cells.join(" | "));
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// The machine's load averages, from `/proc/loadavg`.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}
