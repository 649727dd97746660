//! How the runtime scales: Nexmark q0, q1, q2, q5 and q7 over the same
//! bids, through one core's chain on this thread, through the runtime fed
//! by sources inside the cores on 1 and 2 cores, and through the runtime fed
//! by one input handle (`submit_iter`) on 1 and 2 cores. Rounds are
//! interleaved, each system's result is checked equal to the chain's, and
//! the table gives median events/s and the same-run ratios that answer
//! "are 2 cores faster than 1" and "does the runtime keep the chain's
//! speed".
//!
//! `cargo run --release -p laminar-benches --bin scaling -- [EVENTS] [ROUNDS]`

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use laminar::prelude::*;
use laminar::source;
use laminar_benches::nexmark::drive_chain;
use laminar_examples::nexmark::{Bid, DEFAULT_RATE, bids, q5, q7};

/// A per-core tally that a `for_each` closure owns (each core has its own
/// clone) and that adds itself to the run's total when the core drops it.
#[derive(Clone)]
struct Tally {
    count: Cell<u64>,
    sum: Cell<u64>,
    total: Arc<(AtomicU64, AtomicU64)>,
}

impl Tally {
    fn new() -> (Self, Arc<(AtomicU64, AtomicU64)>) {
        let total = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
        let t = Tally {
            count: Cell::new(0),
            sum: Cell::new(0),
            total: total.clone(),
        };
        (t, total)
    }

    #[inline]
    fn add(&self, x: u64) {
        self.count.set(self.count.get() + 1);
        self.sum.set(self.sum.get().wrapping_add(x));
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        self.total.0.fetch_add(self.count.get(), Ordering::Relaxed);
        self.total.1.fetch_add(self.sum.get(), Ordering::Relaxed);
    }
}

/// Results as (count, checksum), the same for every system.
type Check = (u64, u64);

/// A query: how to run it through each system.
trait Query: Sync {
    fn name(&self) -> &'static str;
    fn chain(&self, bids: &[Bid]) -> Check;
    fn runtime(&self, bids: &Arc<[Bid]>, cores: usize, from_source: bool) -> Check;
}

/// Stateless queries end in a `for_each` that tallies per core.
struct Stateless<F> {
    name: &'static str,
    make: F,
}

impl<F, P> Query for Stateless<F>
where
    F: Fn(Tally) -> P + Sync,
    P: Pipeline<In = Bid, Out = laminar::NoOutput>,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn chain(&self, bids: &[Bid]) -> Check {
        let (tally, total) = Tally::new();
        let p = (self.make)(tally);
        let mut out = laminar::Discard::default();
        drive_chain(&p, bids, &mut out);
        drop(p);
        (
            total.0.load(Ordering::Relaxed),
            total.1.load(Ordering::Relaxed),
        )
    }

    fn runtime(&self, bids: &Arc<[Bid]>, cores: usize, from_source: bool) -> Check {
        let (tally, total) = Tally::new();
        let rt = Runtime::builder()
            .cores(cores)
            .build((self.make)(tally))
            .expect("runtime");
        feed(&rt, bids, from_source);
        rt.finish().expect("finish");
        (
            total.0.load(Ordering::Relaxed),
            total.1.load(Ordering::Relaxed),
        )
    }
}

fn feed<P: Pipeline<In = Bid>>(rt: &Runtime<P>, bids: &Arc<[Bid]>, from_source: bool) {
    if from_source {
        rt.attach(source::from_slice(bids.clone()));
    } else {
        let mut input = rt.input();
        input.submit_iter(bids.iter().copied()).expect("submit");
    }
}

/// Windowed queries collect their results.
struct Windowed<F> {
    name: &'static str,
    make: F,
}

fn check_rows<V: Into<u64> + Copy>(rows: &[laminar::Windowed<u64, V>]) -> Check {
    let sum = rows.iter().fold(0u64, |s, w| {
        s.wrapping_add(w.key ^ w.start.rotate_left(17) ^ w.value.into().rotate_left(41))
    });
    (rows.len() as u64, sum)
}

impl<F, P, V> Query for Windowed<F>
where
    F: Fn() -> P + Sync,
    P: Pipeline<In = Bid, Out = laminar::Windowed<u64, V>>,
    V: Into<u64> + Copy + Send + 'static,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn chain(&self, bids: &[Bid]) -> Check {
        let mut rows = Vec::new();
        drive_chain(&(self.make)(), bids, &mut rows);
        check_rows(&rows)
    }

    fn runtime(&self, bids: &Arc<[Bid]>, cores: usize, from_source: bool) -> Check {
        let rt = Runtime::builder()
            .cores(cores)
            .build((self.make)())
            .expect("runtime");
        feed(&rt, bids, from_source);
        let mut rows = Vec::new();
        let report = rt.finish_into(&mut rows).expect("finish");
        if std::env::var_os("SCALING_REPORT").is_some() {
            eprintln!("{report}");
            for c in &report.cores {
                eprintln!(
                    "core {}: skew waits {}, exchange stalls {}, parks {}",
                    c.core, c.skew_waits, c.exchange_stalls, c.parks
                );
            }
        }
        check_rows(&rows)
    }
}

/// q7's value is the highest price, absent for an empty window (never).
fn q7_prices() -> impl Pipeline<In = Bid, Out = laminar::Windowed<u64, u64>> {
    stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> key_by(|b| b.auction)
        -> window(tumbling(10s))
        -> aggregate(max(|b| b.price))
        -> map(|w| laminar::Windowed { key: w.key, start: w.start, end: w.end, value: w.value.unwrap_or(0) })
    }
}

const SYSTEMS: [(&str, Option<(usize, bool)>); 5] = [
    ("chain, this thread", None),
    ("runtime, source, 1 core", Some((1, true))),
    ("runtime, source, 2 cores", Some((2, true))),
    ("runtime, handle, 1 core", Some((1, false))),
    ("runtime, handle, 2 cores", Some((2, false))),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(5_000_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let started = Instant::now();
    let bids: Arc<[Bid]> = bids(n, DEFAULT_RATE).into();
    eprintln!(
        "{n} bids generated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let _ = q7;
    let queries: Vec<Box<dyn Query>> = vec![
        Box::new(Stateless {
            name: "q0",
            make: |t: Tally| stream! { Bid -> for_each(move |b| t.add(b.price)) },
        }),
        Box::new(Stateless {
            name: "q1",
            make: |t: Tally| {
                stream! {
                    Bid
                    -> map(|b| (b.auction, b.price * 908 / 1000, b.bidder, b.date_time))
                    -> for_each(move |r| t.add(r.1 ^ r.0))
                }
            },
        }),
        Box::new(Stateless {
            name: "q2",
            make: |t: Tally| {
                stream! {
                    Bid
                    -> filter(|b| b.auction % 123 == 0)
                    -> map(|b| (b.auction, b.price))
                    -> for_each(move |r| t.add(r.0 ^ r.1))
                }
            },
        }),
        Box::new(Windowed {
            name: "q5",
            make: q5,
        }),
        Box::new(Windowed {
            name: "q7",
            make: q7_prices,
        }),
    ];
    // `scaling N 0 QUERY SYSTEM`: one run of one system, for a profiler.
    if rounds == 0 {
        let q: String = args.next().unwrap_or_default();
        let si: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
        let q = queries
            .iter()
            .find(|x| x.name() == q)
            .expect("a query name");
        let got = match SYSTEMS[si].1 {
            None => q.chain(&bids),
            Some((cores, from_source)) => q.runtime(&bids, cores, from_source),
        };
        println!("{} through {}: {got:?}", q.name(), SYSTEMS[si].0);
        return;
    }
    // times[query][system] = seconds per round
    let mut times = vec![vec![Vec::new(); SYSTEMS.len()]; queries.len()];
    for round in 0..rounds {
        for (qi, q) in queries.iter().enumerate() {
            let want = q.chain(&bids);
            for k in 0..SYSTEMS.len() {
                // Rotate the order each round, so no system always runs
                // first (or after the same neighbour).
                let si = (k + round) % SYSTEMS.len();
                let t = Instant::now();
                let got = match SYSTEMS[si].1 {
                    None => q.chain(&bids),
                    Some((cores, from_source)) => q.runtime(&bids, cores, from_source),
                };
                times[qi][si].push(t.elapsed().as_secs_f64());
                assert_eq!(got, want, "{} through {}", q.name(), SYSTEMS[si].0);
            }
        }
        eprintln!("round {} done", round + 1);
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "M events/s, median of {rounds} interleaved rounds, {n} bids; ratios are medians of same-round ratios"
    );
    print!("{:<26}", "system");
    for q in &queries {
        print!("{:>9}", q.name());
    }
    println!();
    for (si, (name, _)) in SYSTEMS.iter().enumerate() {
        print!("{name:<26}");
        for per_query in &times {
            print!("{:>9.1}", n as f64 / median(&per_query[si]) / 1e6);
        }
        println!();
    }
    println!("\nslowest ÷ fastest round (stability)");
    for (si, (name, _)) in SYSTEMS.iter().enumerate() {
        print!("{name:<26}");
        for per_query in &times {
            let t = &per_query[si];
            let max = t.iter().copied().fold(0.0, f64::max);
            let min = t.iter().copied().fold(f64::INFINITY, f64::min);
            print!("{:>9.2}", max / min);
        }
        println!();
    }
    println!("\nsame-round ratios of speed");
    let ratio = |a: usize, b: usize, label: &str| {
        print!("{label:<26}");
        for per_query in &times {
            let r: Vec<f64> = per_query[b]
                .iter()
                .zip(&per_query[a])
                .map(|(tb, ta)| tb / ta)
                .collect();
            print!("{:>9.2}", median(&r));
        }
        println!();
    };
    ratio(2, 1, "source 2 cores / 1 core");
    ratio(1, 0, "source 1 core / chain");
    ratio(4, 3, "handle 2 cores / 1 core");
    ratio(1, 3, "source / handle, 1 core");
    ratio(2, 4, "source / handle, 2 cores");
}
