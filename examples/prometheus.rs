//! Laminar's per-core figures in Prometheus: the exporter serves them on a
//! local port while Nexmark q5 runs over bids the cores generate
//! themselves; the program then scrapes its own endpoint and prints the
//! `laminar_*` series next to the final report.
//!
//! ```text
//! cargo run --release -p laminar-examples --features metrics --example prometheus [-- BIDS]
//! ```
//!
//! In a service, install the exporter once at start-up; every runtime then
//! reports through it (see `laminar_runtime::metrics` for the series).

use laminar::prelude::*;
use laminar_examples::nexmark::{DEFAULT_RATE, bid_source, q5};
use laminar_examples::scrape;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bids: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 2_000_000,
    };
    let addr = scrape::install()?;
    println!("metrics at http://{addr}/metrics");
    let rt = Runtime::builder().cores(2).build(q5())?;
    rt.attach(bid_source(bids, DEFAULT_RATE));
    let mut rows = Vec::new();
    let report = rt.finish_into(&mut rows)?;
    println!("{report}\n");
    for ((name, core), value) in scrape::parse(&scrape::fetch(addr)?) {
        println!("{name}{{core=\"{core}\"}} {value}");
    }
    Ok(())
}
