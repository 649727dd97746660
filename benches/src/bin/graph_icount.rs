//! Runs a Nexmark graph from a source inside the cores, once, for
//! callgrind to count each thread's instructions:
//! `valgrind --tool=callgrind --separate-threads=yes
//! target/release/graph_icount QUERY CORES [BIDS]`, QUERY one of
//! `q5-hot` (q5 in two stages: an exchange in mid-pipeline), `q5` (its
//! first stage alone, keyed at the head) or `q7-highest` (a two-phase
//! `window_all`). Prints the rows and the report, so that runs can be
//! compared.

use std::sync::Arc;

use laminar::prelude::*;
use laminar::source;
use laminar_examples::nexmark::{Bid, DEFAULT_RATE, bids, q5, q5_hot, q7_highest};

fn run<P: Pipeline<In = Bid>>(p: P, cores: usize, bids: Arc<[Bid]>) -> (usize, Report) {
    let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
    rt.attach(source::from_slice(bids));
    let mut out = Vec::new();
    let report = rt.finish_into(&mut out).expect("finish");
    (out.len(), report)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let query = args.next().unwrap_or_else(|| "q5-hot".to_owned());
    let cores: usize = args.next().map_or(1, |c| c.parse().expect("cores"));
    let n: usize = args.next().map_or(300_000, |n| n.parse().expect("bids"));
    let bids: Arc<[Bid]> = bids(n, DEFAULT_RATE).into();
    let (rows, report) = match query.as_str() {
        "q5-hot" => run(q5_hot(), cores, bids),
        "q5" => run(q5(), cores, bids),
        "q7-highest" => run(q7_highest(), cores, bids),
        other => panic!("unknown query {other}"),
    };
    println!(
        "{query} on {cores} cores: {rows} rows in {:.1} ms",
        report.elapsed.as_secs_f64() * 1e3
    );
    for c in &report.cores {
        println!(
            "core {}: read {}, in {}, sent {}, received {}, shuffled out {}, in {}, holds {}, parks {}",
            c.core,
            c.read,
            c.events_in,
            c.sent,
            c.received,
            c.shuffled_out,
            c.shuffled_in,
            c.exchange_holds,
            c.parks
        );
    }
}
