//! Laminar: one core's fused chain driven on the calling thread, the
//! runtime fed through an input handle, and the runtime whose cores read
//! the bids themselves through a source.

use std::sync::Arc;

use laminar::prelude::*;
use laminar_examples::nexmark::{self as examples, Bid};

use super::{Digest, Query, Row};
use crate::nexmark::{drive_chain, q0, q1, q2};

/// Events per `submit_iter` call; the results ready are drained and
/// digested after each.
const CHUNK: usize = 8192;

/// Runs `query`'s chain for core 0 over `bids` with
/// [`drive_chain`]: a watermark every 64
/// events.
pub fn chain(query: Query, bids: &Arc<[Bid]>) -> Option<Digest> {
    let mut out = Digest::default();
    match query {
        Query::Q0 => drive_chain(&q0(), bids, &mut out),
        Query::Q1 => drive_chain(&q1(), bids, &mut out),
        Query::Q2 => drive_chain(&q2(), bids, &mut out),
        Query::Q5 => drive_chain(&examples::q5(), bids, &mut out),
        Query::Q7 => drive_chain(&examples::q7(), bids, &mut out),
        // A stage over all auctions of a window is not a pipeline yet.
        Query::Q5Hot | Query::Q7Highest => return None,
    }
    Some(out)
}

/// Runs `query` on a runtime of `cores` cores, from `build` to `finish`:
/// the calling thread submits the bids through one input handle and
/// drains the results.
pub fn runtime(query: Query, bids: &Arc<[Bid]>, cores: usize) -> Option<Digest> {
    Some(match query {
        Query::Q0 => through_runtime(q0(), bids, cores),
        Query::Q1 => through_runtime(q1(), bids, cores),
        Query::Q2 => through_runtime(q2(), bids, cores),
        Query::Q5 => through_runtime(examples::q5(), bids, cores),
        Query::Q7 => through_runtime(examples::q7(), bids, cores),
        Query::Q5Hot | Query::Q7Highest => return None,
    })
}

fn through_runtime<P>(pipeline: P, bids: &[Bid], cores: usize) -> Digest
where
    P: Pipeline<In = Bid>,
    P::Out: Row,
{
    let mut rt = Runtime::builder()
        .cores(cores)
        .build(pipeline)
        .expect("the runtime builds");
    let mut input = rt.input();
    let mut buf = Vec::with_capacity(1 << 16);
    let mut out = Digest::default();
    for chunk in bids.chunks(CHUNK) {
        input
            .submit_iter(chunk.iter().copied())
            .expect("a blocking submit takes every event");
        rt.drain(&mut buf);
        buf.drain(..).for_each(|r| out.emit(r));
    }
    drop(input);
    let report = rt.finish_into(&mut buf).expect("the runtime finishes");
    buf.drain(..).for_each(|r| out.emit(r));
    assert_eq!(report.events_in(), bids.len() as u64, "every bid went in");
    out
}

/// Runs `query` on a runtime of `cores` cores whose cores read the bids
/// through a source (each its blocks of the slice; keyed bids cross to
/// their core through the exchange), from `build` to `finish`; the calling
/// thread drains and digests the results while the cores run.
pub fn source(query: Query, bids: &Arc<[Bid]>, cores: usize) -> Option<Digest> {
    Some(match query {
        Query::Q0 => through_source(q0(), bids, cores),
        Query::Q1 => through_source(q1(), bids, cores),
        Query::Q2 => through_source(q2(), bids, cores),
        Query::Q5 => through_source(examples::q5(), bids, cores),
        Query::Q7 => through_source(examples::q7(), bids, cores),
        Query::Q5Hot | Query::Q7Highest => return None,
    })
}

fn through_source<P>(pipeline: P, bids: &Arc<[Bid]>, cores: usize) -> Digest
where
    P: Pipeline<In = Bid>,
    P::Out: Row,
{
    let mut rt = Runtime::builder()
        .cores(cores)
        .build(pipeline)
        .expect("the runtime builds");
    rt.attach(laminar::source::from_slice(bids.clone()));
    let mut buf = Vec::with_capacity(1 << 16);
    let mut out = Digest::default();
    while !rt.sources_done() {
        if rt.drain(&mut buf) == 0 {
            std::thread::yield_now();
        }
        buf.drain(..).for_each(|r| out.emit(r));
    }
    let report = rt.finish_into(&mut buf).expect("the runtime finishes");
    buf.drain(..).for_each(|r| out.emit(r));
    assert_eq!(report.events_in(), bids.len() as u64, "every bid went in");
    out
}

/// A per-core digest that a `for_each` closure owns (each core has its own
/// clone, as the runtime clones closures per core) and that adds itself to
/// the run's total when its core drops it: rows digested where they are
/// made, as the timely and renoir systems do.
#[derive(Clone)]
struct CoreDigest {
    mine: std::cell::Cell<Digest>,
    total: Arc<std::sync::Mutex<Digest>>,
}

impl CoreDigest {
    #[inline]
    fn add(&self, row: [u64; 4]) {
        let mut d = self.mine.get();
        d.add(row);
        self.mine.set(d);
    }
}

impl Drop for CoreDigest {
    fn drop(&mut self) {
        let mut total = self.total.lock().unwrap_or_else(|e| e.into_inner());
        total.merge(self.mine.get());
    }
}

/// Runs `query` on a runtime of `cores` cores whose cores read the bids
/// through a source and digest their rows themselves (a final `for_each`),
/// so that no result crosses to another thread: the shape in which timely
/// and renoir are measured here.
pub fn source_digesting(query: Query, bids: &Arc<[Bid]>, cores: usize) -> Option<Digest> {
    use crate::nexmark::{q2_selects, to_euros};
    let src = || laminar::source::from_slice(bids.clone());
    digested_in_cores(bids, |d| {
        Some(match query {
            Query::Q0 => run_source(
                stream! { Bid -> for_each(move |b| d.add(b.row())) },
                src(),
                cores,
            ),
            Query::Q1 => run_source(
                stream! {
                    Bid
                    -> map(|b| Bid { price: to_euros(b.price), ..b })
                    -> for_each(move |b| d.add(b.row()))
                },
                src(),
                cores,
            ),
            Query::Q2 => run_source(
                stream! {
                    Bid
                    -> filter(q2_selects)
                    -> map(|b| (b.auction, b.price))
                    -> for_each(move |r| d.add(r.row()))
                },
                src(),
                cores,
            ),
            Query::Q5 => run_source(
                stream! {
                    Bid
                    -> event_time(|b| b.date_time, lateness = 2s)
                    -> key_by(|b| b.auction)
                    -> window(sliding(10s, 2s))
                    -> aggregate(count())
                    -> for_each(move |w| d.add(w.row()))
                },
                src(),
                cores,
            ),
            Query::Q7 => run_source(
                stream! {
                    Bid
                    -> event_time(|b| b.date_time, lateness = 2s)
                    -> key_by(|b| b.auction)
                    -> window(tumbling(10s))
                    -> aggregate(max(|b| b.price))
                    -> for_each(move |w| d.add(w.row()))
                },
                src(),
                cores,
            ),
            // The whole q5 as one graph: counts per auction, re-keyed by
            // window to the auctions with the most bids.
            Query::Q5Hot => run_source(
                stream! {
                    Bid
                    -> event_time(|b| b.date_time, lateness = 2s)
                    -> key_by(|b| b.auction)
                    -> window(sliding(10s, 2s))
                    -> aggregate(count())
                    -> key_by(|w| w.start)
                    -> window(tumbling(2s))
                    -> aggregate(examples::HotItems)
                    -> for_each(move |w| {
                        let (count, auctions) = w.value;
                        for a in auctions {
                            d.add((w.key, w.key + super::WINDOW, a, count).row());
                        }
                    })
                },
                src(),
                cores,
            ),
            // The whole q7: one `window_all`, in two phases (each core's
            // highest price per window, merged on core 0).
            Query::Q7Highest => run_source(
                stream! {
                    Bid
                    -> event_time(|b| b.date_time, lateness = 2s)
                    -> window_all(tumbling(10s))
                    -> aggregate(max(|b| b.price))
                    -> for_each(move |w| {
                        if let Some(m) = w.value {
                            d.add((w.start, w.end, m).row());
                        }
                    })
                },
                src(),
                cores,
            ),
        })
    })
}

/// q5 and q7 as [`source_digesting`] runs them, but keyed after a stage
/// (a `map` that keeps each bid as it is), so that the `key_by` is an
/// exchange in mid-pipeline rather than routing at the source: the same
/// work plus what an exchange costs.
pub fn keyed_mid_pipeline(query: Query, bids: &Arc<[Bid]>, cores: usize) -> Option<Digest> {
    let src = || laminar::source::from_slice(bids.clone());
    digested_in_cores(bids, |d| {
        Some(match query {
            Query::Q5 => run_source(
                stream! {
                    Bid
                    -> event_time(|b| b.date_time, lateness = 2s)
                    -> map(|b| b)
                    -> key_by(|b| b.auction)
                    -> window(sliding(10s, 2s))
                    -> aggregate(count())
                    -> for_each(move |w| d.add(w.row()))
                },
                src(),
                cores,
            ),
            Query::Q7 => run_source(
                stream! {
                    Bid
                    -> event_time(|b| b.date_time, lateness = 2s)
                    -> map(|b| b)
                    -> key_by(|b| b.auction)
                    -> window(tumbling(10s))
                    -> aggregate(max(|b| b.price))
                    -> for_each(move |w| d.add(w.row()))
                },
                src(),
                cores,
            ),
            _ => return None,
        })
    })
}

/// Runs what `run` builds (a pipeline whose cores digest their rows into
/// the [`CoreDigest`] it is given, or `None` for a query it cannot
/// express) and returns the merged digest, once every bid went in.
fn digested_in_cores(
    bids: &Arc<[Bid]>,
    run: impl FnOnce(CoreDigest) -> Option<Report>,
) -> Option<Digest> {
    let total = Arc::new(std::sync::Mutex::new(Digest::default()));
    let d = CoreDigest {
        mine: std::cell::Cell::new(Digest::default()),
        total: total.clone(),
    };
    let report = run(d)?;
    assert_eq!(report.events_in(), bids.len() as u64, "every bid went in");
    let digest = *total.lock().unwrap_or_else(|e| e.into_inner());
    Some(digest)
}

fn run_source<P, S>(pipeline: P, source: S, cores: usize) -> Report
where
    P: Pipeline<In = Bid>,
    S: laminar::source::Source<Bid>,
{
    let rt = Runtime::builder()
        .cores(cores)
        .build(pipeline)
        .expect("the runtime builds");
    rt.attach(source);
    // The cores' digests merge into the total as the runtime drops them.
    rt.finish().expect("the runtime finishes")
}
