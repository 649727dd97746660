//! The peers bench's join queries: Nexmark q4 and q8 over the persons,
//! auctions and bids of one generated stream, in Laminar and timely
//! dataflow on 1 and 2 cores (`laminar_benches::peers::joins`).
//!
//! `cargo run --release -p laminar-benches --features peers --bin
//! peers_joins -- [ROUNDS] [EVENTS] [QUERIES] [SYSTEMS]`: ROUNDS (default
//! 5) interleaved rounds over the first EVENTS Nexmark events (default
//! 1,000,000, at 10,000 events/s of event time); QUERIES `q4`, `q8` or
//! both (default); SYSTEMS only the systems whose name contains it (for
//! profiling one; the ratio column then needs timely among them).
//!
//! The events are generated once, before any timing, and the reference
//! rows (`laminar_examples::reference_joins`) digested, untimed. Every
//! timed run's digest is checked equal to the reference's before its
//! figure is kept. Round r runs each query on every system, in an order
//! rotated by r. A query's events/s counts the events it reads (auctions
//! and bids for q4, persons and auctions for q8); per core divides that by
//! the system's cores. The ratio column is the median of the per-round
//! ratios of a system's speed to timely's on as many workers.

use std::hint::black_box;
use std::time::Instant;

use laminar_benches::peers::Family;
use laminar_benches::peers::joins::{Inputs, JOIN_SYSTEMS, JoinQuery, reference};
use laminar_examples::nexmark::DEFAULT_RATE;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = args.first().map_or(5, |a| a.parse().expect("ROUNDS"));
    let events: usize = args
        .get(1)
        .map_or(1_000_000, |a| a.replace('_', "").parse().expect("EVENTS"));
    let queries: Vec<JoinQuery> = match args.get(2) {
        None => JoinQuery::ALL.to_vec(),
        Some(list) => list
            .split(',')
            .map(|name| {
                *JoinQuery::ALL
                    .iter()
                    .find(|q| q.name() == name)
                    .unwrap_or_else(|| panic!("no query {name}: q4 or q8"))
            })
            .collect(),
    };
    let only = args.get(3).map_or("", String::as_str);
    let systems: Vec<usize> = (0..JOIN_SYSTEMS.len())
        .filter(|&si| JOIN_SYSTEMS[si].name.contains(only))
        .collect();
    assert!(rounds > 0, "at least one round");

    let load_before = loadavg();
    let started = Instant::now();
    let inputs = Inputs::generate(events, DEFAULT_RATE);
    eprintln!(
        "{events} events generated in {:.1} s: {} persons, {} auctions, {} bids",
        started.elapsed().as_secs_f64(),
        inputs.persons.len(),
        inputs.auctions.len(),
        inputs.bids.len()
    );
    let expected: Vec<_> = queries.iter().map(|&q| reference(q, &inputs)).collect();
    for (q, d) in queries.iter().zip(&expected) {
        eprintln!(
            "{}: {} events in, {} rows, digest {:#018x}",
            q.name(),
            q.events(&inputs),
            d.rows,
            d.sum
        );
    }

    // rates[query][system]: events/s, one per round.
    let mut rates = vec![vec![Vec::new(); JOIN_SYSTEMS.len()]; queries.len()];
    for round in 0..rounds {
        for (qi, &query) in queries.iter().enumerate() {
            for k in 0..systems.len() {
                let si = systems[(k + round) % systems.len()];
                let system = &JOIN_SYSTEMS[si];
                let t = Instant::now();
                let digest = (system.run)(query, black_box(&inputs));
                let secs = t.elapsed().as_secs_f64();
                assert_eq!(
                    digest,
                    expected[qi],
                    "{} gave another output than the reference on {}",
                    system.name,
                    query.name()
                );
                rates[qi][si].push(query.events(&inputs) as f64 / secs);
            }
        }
        eprintln!("round {}/{rounds} done, load {}", round + 1, loadavg());
    }

    println!(
        "# Peers bench, joins: {events} Nexmark events, {rounds} interleaved rounds, every output checked equal to reference_joins'\n"
    );
    println!(
        "timely 0.32.0; load average (1, 5, 15 min) before {load_before}, after {}.\n",
        loadavg()
    );
    for (qi, &query) in queries.iter().enumerate() {
        println!(
            "## {}: {} events in, {} rows\n",
            query.name(),
            query.events(&inputs),
            expected[qi].rows
        );
        println!(
            "| system | M events/s (slowest–fastest) | per core | ÷ timely on as many workers |"
        );
        println!("|---|---:|---:|---:|");
        for &si in &systems {
            let system = &JOIN_SYSTEMS[si];
            let r = &rates[qi][si];
            let m = median(r.clone()) / 1e6;
            let lo = r.iter().copied().fold(f64::INFINITY, f64::min) / 1e6;
            let hi = r.iter().copied().fold(0.0, f64::max) / 1e6;
            let timely = JOIN_SYSTEMS
                .iter()
                .position(|s| s.family == Family::Timely && s.cores == system.cores)
                .expect("timely on as many workers");
            let ratios: Vec<f64> = r
                .iter()
                .zip(&rates[qi][timely])
                .map(|(a, b)| a / b)
                .collect();
            let ratio = if ratios.is_empty() {
                "—".to_owned()
            } else {
                format!("{:.2}", median(ratios))
            };
            println!(
                "| {} | {m:.2} ({lo:.2}–{hi:.2}) | {:.2} | {ratio} |",
                system.name,
                m / system.cores as f64,
            );
        }
        println!();
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
