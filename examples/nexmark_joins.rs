//! Nexmark q3, q8, q9, q4 and q6: the queries that join streams.
//!
//! ```text
//! cargo run --release --example nexmark_joins            # 1M events
//! cargo run --release --example nexmark_joins -- 200000  # or say how many
//! ```
//!
//! Each query is one `stream!` with two inputs (persons and auctions for
//! q3 and q8, auctions and bids for the others), each read by the cores from
//! memory through its own source ([`Runtime::attach_port`]), on 2 cores.
//! Each result is checked against the plain single-threaded reference of
//! `laminar_examples::reference_joins`; the throughput counts the events
//! of both inputs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use laminar::port::Either;
use laminar::prelude::*;
use laminar::source;
use laminar_examples::driver::event_count;
use laminar_examples::nexmark::{Bid, DEFAULT_RATE};
use laminar_examples::nexmark_events::{Auction, Person, auctions, bids, events, persons};
use laminar_examples::nexmark_joins::{self, OPEN_BOUND_MS, max_open_ms};
use laminar_examples::reference_joins;

const CORES: usize = 2;

/// Runs `pipeline` over `left` and `right`, read by the cores; returns its
/// results, sorted, and the time it took.
fn run<P, L, R, O>(
    pipeline: P,
    attach: impl FnOnce(&Runtime<P>),
) -> Result<(Vec<O>, Duration), Box<dyn std::error::Error>>
where
    P: Pipeline<In = Either<L, R>, Out = O>,
    L: Send + 'static,
    R: Send + 'static,
    O: Ord + Send + 'static,
{
    let rt = Runtime::builder().cores(CORES).build(pipeline)?;
    let started = Instant::now();
    // A core's watermark is the lowest over the inputs it has at the time:
    // an open handle, silent, holds it until both sources are attached, so
    // that the first cannot run ahead of the second's first events.
    let hold = rt.input();
    attach(&rt);
    drop(hold);
    let mut out = Vec::new();
    let report = rt.finish_into(&mut out)?;
    let elapsed = started.elapsed();
    if report.late() > 0 {
        return Err(format!("{} late events", report.late()).into());
    }
    out.sort_unstable();
    Ok((out, elapsed))
}

/// Attaching auctions and bids to any of the pipelines that read them (a
/// closure cannot be generic over the pipeline's type).
trait AttachAuctionsBids {
    fn attach(&self, auctions: Arc<[Auction]>, bids: Arc<[Bid]>);
}

impl<P: Pipeline<In = Either<Auction, Bid>>> AttachAuctionsBids for Runtime<P> {
    fn attach(&self, auctions: Arc<[Auction]>, bids: Arc<[Bid]>) {
        self.attach_port::<Auction, _, _>(source::from_slice(auctions));
        self.attach_port::<Bid, _, _>(source::from_slice(bids));
    }
}

fn print(name: &str, rows: usize, elapsed: Duration, events: usize) {
    println!(
        "{name}: {rows} rows, as the reference; {events} events in {:.1} ms: {:.2} M events/s",
        elapsed.as_secs_f64() * 1e3,
        events as f64 / elapsed.as_secs_f64() / 1e6
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = event_count()?;
    let all = events(n, DEFAULT_RATE);
    let (people, sales, offers) = (persons(&all), auctions(&all), bids(&all));
    drop(all);
    println!(
        "{n} Nexmark events: {} persons, {} auctions, {} bids; {CORES} cores",
        people.len(),
        sales.len(),
        offers.len()
    );
    // q9, q4 and q6 are exact while no auction is open longer than their
    // join's bound.
    let longest = sales.iter().map(|a| a.expires - a.date_time).max();
    assert!(max_open_ms(DEFAULT_RATE) <= OPEN_BOUND_MS);
    assert!(longest.unwrap_or(0) <= max_open_ms(DEFAULT_RATE));

    let people: Arc<[Person]> = people.into();
    let sales: Arc<[Auction]> = sales.into();
    let offers: Arc<[Bid]> = offers.into();
    let auctions_bids = |rt: &dyn AttachAuctionsBids| rt.attach(sales.clone(), offers.clone());

    let (got, elapsed) = run(nexmark_joins::q9(), |rt| auctions_bids(rt))?;
    assert_eq!(got, reference_joins::q9(&sales, &offers), "q9");
    let both = sales.len() + offers.len();
    print("q9 winning bids", got.len(), elapsed, both);

    let (got, elapsed) = run(nexmark_joins::q4(), |rt| auctions_bids(rt))?;
    assert_eq!(got, reference_joins::q4(&sales, &offers), "q4");
    print("q4 average price per category", got.len(), elapsed, both);

    let (got, elapsed) = run(nexmark_joins::q6(), |rt| auctions_bids(rt))?;
    assert_eq!(got, reference_joins::q6(&sales, &offers), "q6");
    print("q6 average price per seller", got.len(), elapsed, both);

    let (got, elapsed) = run(nexmark_joins::q8(), |rt| {
        rt.attach_port::<Person, _, _>(source::from_slice(people.clone()));
        rt.attach_port::<Auction, _, _>(source::from_slice(sales.clone()));
    })?;
    assert_eq!(got, reference_joins::q8(&people, &sales), "q8");
    print(
        "q8 new users",
        got.len(),
        elapsed,
        people.len() + sales.len(),
    );

    let (got, elapsed) = run(nexmark_joins::q3(), |rt| {
        rt.attach_port::<Auction, _, _>(source::from_slice(sales.clone()));
        rt.attach_port::<Person, _, _>(source::from_slice(people.clone()));
    })?;
    assert_eq!(got, reference_joins::q3(&people, &sales), "q3");
    print(
        "q3 local item suggestion (stream-table)",
        got.len(),
        elapsed,
        people.len() + sales.len(),
    );
    Ok(())
}
