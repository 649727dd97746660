//! timely dataflow: each worker reads its share of the bids in its own
//! source operator (every `workers`-th bid, so each share is in time
//! order), as timely programs read their input; the stateless queries are
//! timely's `map` and `filter`; the windowed ones exchange `(auction,
//! price, time)` by auction to a `unary_frontier` operator that aggregates
//! them by pane ([`Panes`], as the hand loop does) and emits a window once
//! the input frontier has passed its end. The whole q5 and q7 then
//! exchange those per-auction rows by window to a second `unary_frontier`
//! operator (`top_per_window`) that keeps, per window, the highest value
//! and the auctions that have it, and emits a window once no more of its
//! rows can come. Timestamps are event times: a source's batch carries the
//! time of its first bid and spans [`TIME_STEP`] of event time.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use ::timely::Config;
use ::timely::container::CapacityContainerBuilder;
use ::timely::dataflow::channels::pact::{Exchange, Pipeline};
use ::timely::dataflow::operators::Capability;
use ::timely::dataflow::operators::generic::Operator;
use ::timely::dataflow::operators::generic::operator::source;
use ::timely::dataflow::operators::vec::{Filter, Map};
use ::timely::dataflow::{Scope, StreamVec};
use laminar_examples::nexmark::Bid;

use super::panes::Panes;
use super::{Digest, Query, Row, SLIDE, TIME_STEP, WINDOW};
use crate::nexmark::{q2_selects, to_euros};

/// Runs `query` over `bids` on `workers` timely workers (threads of one
/// process), from starting them to joining them.
pub fn run(query: Query, bids: &Arc<[Bid]>, workers: usize) -> Option<Digest> {
    let bids = Arc::clone(bids);
    let guards = ::timely::execute(Config::process(workers), move |worker| {
        let digest = Rc::new(RefCell::new(Digest::default()));
        let sink = Rc::clone(&digest);
        let bids = Arc::clone(&bids);
        worker.dataflow::<u64, _, _>(move |scope| {
            let bids = share(scope, bids);
            match query {
                Query::Q0 => digest_into(bids, sink),
                Query::Q1 => {
                    let euros = bids.map(|b| Bid {
                        price: to_euros(b.price),
                        ..b
                    });
                    digest_into(euros, sink);
                }
                Query::Q2 => {
                    let selected = bids.filter(q2_selects).map(|b| (b.auction, b.price));
                    digest_into(selected, sink);
                }
                Query::Q5 => {
                    let counts = per_window(bids, "Q5", Panes::counts(SLIDE));
                    digest_into(counts, sink);
                }
                Query::Q7 => {
                    let maxima = per_window(bids, "Q7", Panes::maxima(WINDOW));
                    digest_into(maxima, sink);
                }
                Query::Q5Hot => {
                    let counts = per_window(bids, "Q5", Panes::counts(SLIDE));
                    let hot = top_per_window(counts, SLIDE).flat_map(|(start, n, auctions)| {
                        auctions
                            .into_iter()
                            .map(move |auction| (start, start + WINDOW, auction, n))
                    });
                    digest_into(hot, sink);
                }
                Query::Q7Highest => {
                    let maxima = per_window(bids, "Q7", Panes::maxima(WINDOW));
                    let highest = top_per_window(maxima, WINDOW)
                        .map(|(start, max, _)| (start, start + WINDOW, max));
                    digest_into(highest, sink);
                }
            }
        });
        while worker.has_dataflows() {
            worker.step_or_park(None);
        }
        digest.take()
    })
    .expect("timely starts its workers");
    let mut total = Digest::default();
    for worker in guards.join() {
        total.merge(worker.expect("a timely worker finished"));
    }
    Some(total)
}

/// This worker's share of the bids: every `peers`-th from its index, in
/// batches of [`TIME_STEP`] of event time, each at the time of its first
/// bid; one batch per activation.
fn share<'s>(scope: Scope<'s, u64>, bids: Arc<[Bid]>) -> StreamVec<'s, u64, Bid> {
    let (index, peers) = (scope.index(), scope.peers());
    source::<_, CapacityContainerBuilder<Vec<Bid>>, _, _>(scope, "Bids", move |cap, info| {
        let activator = scope.activator_for(info.address);
        let mut cap = Some(cap);
        let mut next = index;
        move |output| {
            let Some(c) = cap.as_mut() else { return };
            if let Some(first) = bids.get(next) {
                c.downgrade(&first.date_time);
                let until = first.date_time + TIME_STEP;
                let mut session = output.session(&*c);
                while let Some(b) = bids.get(next).filter(|b| b.date_time < until) {
                    session.give(*b);
                    next += peers;
                }
            }
            if next < bids.len() {
                activator.activate();
            } else {
                cap = None;
            }
        }
    })
}

/// Exchanges the bids by auction and aggregates their prices per auction
/// and window with [`Panes`]: a window is emitted, as `(auction, window
/// start, aggregate)`, once the input frontier has passed its end, at the
/// capability of its first pane (made at that pane's end, which is no later
/// than the window's).
fn per_window<'s>(
    bids: StreamVec<'s, u64, Bid>,
    name: &str,
    panes: Panes,
) -> StreamVec<'s, u64, (u64, u64, u64)> {
    let by_auction = Exchange::new(|x: &(u64, u64, u64)| x.0);
    bids.map(|b| (b.auction, b.price, b.date_time))
        .unary_frontier::<CapacityContainerBuilder<Vec<_>>, _, _, _>(
            by_auction,
            name,
            move |_cap, _info| {
                let mut panes = panes;
                // A capability per pane, by the pane's start.
                let mut caps: Vec<(u64, Capability<u64>)> = Vec::new();
                move |(input, frontier), output| {
                    let port = output.output_index();
                    input.for_each(|cap, data| {
                        for (auction, price, t) in data.drain(..) {
                            if let Some(start) = panes.add(auction, price, t) {
                                caps.push((start, cap.delayed(&(start + panes.slide()), port)));
                            }
                        }
                    });
                    while let Some((start, end)) = panes.next_window() {
                        if frontier.less_than(&end) {
                            break;
                        }
                        let (_, cap) = caps
                            .iter()
                            .filter(|(s, _)| (start..end).contains(s))
                            .min_by_key(|(s, _)| *s)
                            .expect("a window to emit has a pane");
                        let mut session = output.session(cap);
                        panes.emit_next(|row| session.give(row));
                        drop(session);
                        let kept = panes.earliest().unwrap_or(u64::MAX);
                        caps.retain(|(s, _)| *s >= kept);
                    }
                }
            },
        )
}

/// The stage over all auctions of a window: exchanges [`per_window`]'s
/// rows `(auction, window start, value)` by window (windows start every
/// `slide`), keeps per window the highest value and the auctions that have
/// it, and emits `(window start, highest value, those auctions)`. A
/// window's rows all carry times no later than its end ([`per_window`]
/// emits them at the capability of one of its panes), so the window is
/// complete once the input frontier has passed its end.
fn top_per_window<'s>(
    rows: StreamVec<'s, u64, (u64, u64, u64)>,
    slide: u64,
) -> StreamVec<'s, u64, (u64, u64, Vec<u64>)> {
    // Window starts are multiples of `slide`, and timely routes by the low
    // bits: route by the window's number.
    let by_window = Exchange::new(move |r: &(u64, u64, u64)| r.1 / slide);
    rows.unary_frontier::<CapacityContainerBuilder<Vec<_>>, _, _, _>(
        by_window,
        "TopPerWindow",
        |_cap, _info| {
            // Per window start: a capability of its first row, the highest
            // value so far and the auctions that have it.
            let mut open: BTreeMap<u64, (Capability<u64>, u64, Vec<u64>)> = BTreeMap::new();
            move |(input, frontier), output| {
                let port = output.output_index();
                input.for_each(|cap, data| {
                    for (auction, start, value) in data.drain(..) {
                        let (_, best, auctions) = open.entry(start).or_insert_with(|| {
                            let cap = cap.retain_least(port).expect("rows come with a time");
                            (cap, value, Vec::new())
                        });
                        if value > *best {
                            *best = value;
                            auctions.clear();
                        }
                        if value == *best {
                            auctions.push(auction);
                        }
                    }
                });
                while let Some(entry) = open.first_entry() {
                    if frontier.less_equal(&(*entry.key() + WINDOW)) {
                        break;
                    }
                    let (start, (cap, best, auctions)) = entry.remove_entry();
                    output.session(&cap).give((start, best, auctions));
                }
            }
        },
    )
}

/// Digests the stream's rows into `digest`, on this worker.
fn digest_into<R: Row + 'static>(stream: StreamVec<'_, u64, R>, digest: Rc<RefCell<Digest>>) {
    stream.sink(Pipeline, "Digest", move |(input, _frontier)| {
        let mut digest = digest.borrow_mut();
        input.for_each(|_cap, rows| {
            for r in rows.drain(..) {
                digest.add(r.row());
            }
        });
    });
}
