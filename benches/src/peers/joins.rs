//! The peers bench's join queries: Nexmark q4 (average closing price per
//! category: auctions and bids joined, each auction's winning price, then
//! per category their sum and count) and q8 (the persons who opened an
//! account and created an auction in the same 10 s tumbling window), over
//! the persons, auctions and bids of one generated Nexmark stream, in
//! Laminar and in timely dataflow, every output checked against
//! `laminar_examples::reference_joins`.
//!
//! Laminar runs `laminar_examples::nexmark_joins::q4()` and `q8()`, the
//! pipelines its tests check, each input read by the cores through its own
//! source (`Runtime::attach_port` of `source::from_slice`: each core reads
//! its blocks), results collected by `finish_into`.
//!
//! timely runs the same queries with its own operators: each worker reads
//! its share of each input (every `workers`-th event, in batches of
//! [`TIME_STEP`] of event time, as [`super::timely`] reads bids); both
//! inputs are exchanged by the join key to a `binary_frontier` operator
//! that keeps per-key state and emits once the lower of its two input
//! frontiers has passed the auction's expiry (q4) or the window's end (q8).
//! q4's winning prices are then exchanged by category to a `unary_frontier`
//! operator that sums them and emits at the end of input, as Laminar's
//! timer at `Timestamp::MAX` does. Rows are digested on the worker that
//! makes them.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::rc::Rc;
use std::sync::Arc;

use ::timely::Config;
use ::timely::container::CapacityContainerBuilder;
use ::timely::dataflow::channels::pact::{Exchange, Pipeline};
use ::timely::dataflow::operators::generic::Operator;
use ::timely::dataflow::operators::generic::operator::source;
use ::timely::dataflow::{Scope, StreamVec};
use ::timely::progress::frontier::MutableAntichain;
use laminar::prelude::*;
use laminar_examples::nexmark::Bid;
use laminar_examples::nexmark_events::{Auction, Person, auctions, bids, events, persons};
use laminar_examples::{nexmark_joins, reference_joins};
use rustc_hash::FxHashMap;

use super::{Digest, Family, Row, TIME_STEP};

/// q8's tumbling window, in milliseconds.
const Q8_WINDOW: u64 = reference_joins::Q8_SIZE;

/// A join query of the bench.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinQuery {
    /// Average price per category: auctions x bids.
    Q4,
    /// New users: persons x auctions in one 10 s window.
    Q8,
}

impl JoinQuery {
    /// Both queries, in table order.
    pub const ALL: [JoinQuery; 2] = [JoinQuery::Q4, JoinQuery::Q8];

    /// `q4` or `q8`.
    pub fn name(self) -> &'static str {
        match self {
            JoinQuery::Q4 => "q4",
            JoinQuery::Q8 => "q8",
        }
    }

    /// The events the query reads: auctions and bids for q4, persons and
    /// auctions for q8. Its events/s count these.
    pub fn events(self, inputs: &Inputs) -> usize {
        match self {
            JoinQuery::Q4 => inputs.auctions.len() + inputs.bids.len(),
            JoinQuery::Q8 => inputs.persons.len() + inputs.auctions.len(),
        }
    }
}

/// The three streams of `events(n, rate)`, each in event-time order.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// New accounts.
    pub persons: Arc<[Person]>,
    /// New auctions.
    pub auctions: Arc<[Auction]>,
    /// Bids.
    pub bids: Arc<[Bid]>,
}

impl Inputs {
    /// The first `n` Nexmark events at `rate` events per second, split.
    /// Panics if an auction is open longer than q4's join bound (the
    /// pipeline is exact only within it).
    pub fn generate(n: usize, rate: usize) -> Inputs {
        let all = events(n, rate);
        let inputs = Inputs {
            persons: persons(&all).into(),
            auctions: auctions(&all).into(),
            bids: bids(&all).into(),
        };
        let longest = inputs.auctions.iter().map(|a| a.expires - a.date_time);
        assert!(longest.max().unwrap_or(0) <= nexmark_joins::OPEN_BOUND_MS);
        inputs
    }
}

/// A system of the join table.
#[derive(Clone, Copy, Debug)]
pub struct JoinSystem {
    /// The row's name.
    pub name: &'static str,
    /// [`Family::Laminar`] or [`Family::Timely`]: the ratio column divides
    /// a system's speed by timely's on as many cores.
    pub family: Family,
    /// Cores (workers) it runs on.
    pub cores: usize,
    /// Runs a query over the inputs and digests its rows.
    pub run: fn(JoinQuery, &Inputs) -> Digest,
}

/// Every system of the join table.
pub const JOIN_SYSTEMS: &[JoinSystem] = &[
    JoinSystem {
        name: "Laminar runtime, 1 core, a source per input",
        family: Family::Laminar,
        cores: 1,
        run: |q, inputs| laminar(q, inputs, 1),
    },
    JoinSystem {
        name: "Laminar runtime, 2 cores, a source per input",
        family: Family::Laminar,
        cores: 2,
        run: |q, inputs| laminar(q, inputs, 2),
    },
    JoinSystem {
        name: "timely, 1 worker",
        family: Family::Timely,
        cores: 1,
        run: |q, inputs| timely(q, inputs, 1),
    },
    JoinSystem {
        name: "timely, 2 workers",
        family: Family::Timely,
        cores: 2,
        run: |q, inputs| timely(q, inputs, 2),
    },
];

/// q8's rows: `(person id, name, window start)`.
impl Row for (u64, u32, u64) {
    #[inline]
    fn row(&self) -> [u64; 4] {
        [self.0, u64::from(self.1), self.2, 0]
    }
}

fn digest<R: Row>(rows: &[R]) -> Digest {
    let mut d = Digest::default();
    rows.iter().for_each(|r| d.add(r.row()));
    d
}

/// The digest of `reference_joins`' rows: what every system must give.
pub fn reference(query: JoinQuery, inputs: &Inputs) -> Digest {
    match query {
        JoinQuery::Q4 => digest(&reference_joins::q4(&inputs.auctions, &inputs.bids)),
        JoinQuery::Q8 => digest(&reference_joins::q8(&inputs.persons, &inputs.auctions)),
    }
}

/// Runs `query`'s pipeline on a runtime of `cores` cores, each input read
/// by the cores through its own source, from `build` to `finish`; the
/// rows are collected by `finish_into` and digested.
pub fn laminar(query: JoinQuery, inputs: &Inputs, cores: usize) -> Digest {
    let builder = || Runtime::builder().cores(cores);
    let (out, report) = match query {
        JoinQuery::Q4 => {
            let rt = builder()
                .build(nexmark_joins::q4())
                .expect("the runtime builds");
            rt.attach_port::<Auction, _, _>(laminar::source::from_slice(inputs.auctions.clone()));
            rt.attach_port::<Bid, _, _>(laminar::source::from_slice(inputs.bids.clone()));
            let mut rows = Vec::new();
            let report = rt.finish_into(&mut rows).expect("the runtime finishes");
            (digest(&rows), report)
        }
        JoinQuery::Q8 => {
            let rt = builder()
                .build(nexmark_joins::q8())
                .expect("the runtime builds");
            rt.attach_port::<Person, _, _>(laminar::source::from_slice(inputs.persons.clone()));
            rt.attach_port::<Auction, _, _>(laminar::source::from_slice(inputs.auctions.clone()));
            let mut rows = Vec::new();
            let report = rt.finish_into(&mut rows).expect("the runtime finishes");
            (digest(&rows), report)
        }
    };
    assert_eq!(report.late(), 0, "no late events");
    assert_eq!(
        report.events_in(),
        query.events(inputs) as u64,
        "every event went in"
    );
    out
}

/// Runs `query` on `workers` timely workers (threads of one process), from
/// starting them to joining them.
pub fn timely(query: JoinQuery, inputs: &Inputs, workers: usize) -> Digest {
    let inputs = inputs.clone();
    let guards = ::timely::execute(Config::process(workers), move |worker| {
        let digest = Rc::new(RefCell::new(Digest::default()));
        let sink = Rc::clone(&digest);
        let inputs = inputs.clone();
        worker.dataflow::<u64, _, _>(move |scope| match query {
            JoinQuery::Q4 => {
                // (id, category, date_time, expires) and (auction, price,
                // date_time): the fields q4 reads, as tuples (what timely
                // exchanges must be serde types).
                let auctions = share(scope, inputs.auctions, "Auctions", |a| {
                    ((a.id, a.category, a.date_time, a.expires), a.date_time)
                });
                let bids = share(scope, inputs.bids, "Bids", |b| {
                    ((b.auction, b.price, b.date_time), b.date_time)
                });
                let sums = sum_per_category(winning_prices(auctions, bids));
                digest_into(sums, sink);
            }
            JoinQuery::Q8 => {
                let persons = share(scope, inputs.persons, "Persons", |p| {
                    ((p.id, p.name, p.date_time), p.date_time)
                });
                let sellers = share(scope, inputs.auctions, "Sellers", |a| {
                    ((a.seller, a.date_time), a.date_time)
                });
                digest_into(new_users(persons, sellers), sink);
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
    total
}

/// This worker's share of `items` (in event-time order): every `peers`-th
/// from its index, each as `project` makes it (a record and its event
/// time), in batches of [`TIME_STEP`] of event time, each at the time of
/// its first record; one batch per activation.
fn share<'s, T, D>(
    scope: Scope<'s, u64>,
    items: Arc<[T]>,
    name: &str,
    project: impl Fn(&T) -> (D, u64) + 'static,
) -> StreamVec<'s, u64, D>
where
    T: 'static,
    D: Clone + 'static,
{
    let (index, peers) = (scope.index(), scope.peers());
    source::<_, CapacityContainerBuilder<Vec<D>>, _, _>(scope, name, move |cap, info| {
        let activator = scope.activator_for(info.address);
        let mut cap = Some(cap);
        let mut next = index;
        move |output| {
            let Some(c) = cap.as_mut() else { return };
            if let Some(first) = items.get(next) {
                let (record, t) = project(first);
                c.downgrade(&t);
                let until = t + TIME_STEP;
                let mut session = output.session(&*c);
                session.give(record);
                next += peers;
                while let Some((record, t)) = items.get(next).map(&project) {
                    if t >= until {
                        break;
                    }
                    session.give(record);
                    next += peers;
                }
            }
            if next < items.len() {
                activator.activate();
            } else {
                cap = None;
            }
        }
    })
}

/// The lower of two input frontiers (times are totally ordered), or `None`
/// once both are empty: no record at an earlier time can still come.
fn lower(a: &MutableAntichain<u64>, b: &MutableAntichain<u64>) -> Option<u64> {
    let (a, b) = (a.frontier(), b.frontier());
    match (a.first(), b.first()) {
        (Some(&x), Some(&y)) => Some(x.min(y)),
        (Some(&x), None) | (None, Some(&x)) => Some(x),
        (None, None) => None,
    }
}

/// q9's winning price per auction, as `(category, price)`: auctions
/// `(id, category, date_time, expires)` and bids `(auction, price,
/// date_time)` exchanged by auction id to one operator that keeps, per
/// open auction, the highest price of the bids from its opening to its
/// expiry (both included), and emits it once the lower input frontier has
/// passed the expiry (every bid carries a time no later than its own, so
/// none that counts can still come). A bid whose auction has not come yet
/// waits until the frontier passes the bid's own time (its auction, if it
/// counts for it, opens no later). The operator holds its initial
/// capability, downgraded to the lower input frontier, and emits at it.
fn winning_prices<'s>(
    auctions: StreamVec<'s, u64, (u64, u64, u64, u64)>,
    bids: StreamVec<'s, u64, (u64, u64, u64)>,
) -> StreamVec<'s, u64, (u64, u64)> {
    auctions.binary_frontier::<_, CapacityContainerBuilder<Vec<_>>, _, _, _, _>(
        bids,
        Exchange::new(|a: &(u64, u64, u64, u64)| a.0),
        Exchange::new(|b: &(u64, u64, u64)| b.0),
        "WinningPrices",
        |cap, _info| {
            let mut held = Some(cap);
            // Per open auction: (category, opening, expiry, best price).
            let mut open: FxHashMap<u64, (u64, u64, u64, Option<u64>)> = FxHashMap::default();
            // Open auctions by expiry.
            let mut closing: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
            // Bids of auctions not seen yet, `(price, date_time)` by
            // auction, and each such bid's `(date_time, auction)`.
            let mut waiting: FxHashMap<u64, Vec<(u64, u64)>> = FxHashMap::default();
            let mut waiting_by_time: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
            move |(auctions, a_frontier), (bids, b_frontier), output| {
                auctions.for_each(|_cap, data| {
                    for (id, category, opens, expires) in data.drain(..) {
                        let mut best = None;
                        if let Some(early) = waiting.remove(&id) {
                            for (price, t) in early {
                                if opens <= t && t <= expires {
                                    best = best.max(Some(price));
                                }
                            }
                        }
                        open.insert(id, (category, opens, expires, best));
                        closing.push(Reverse((expires, id)));
                    }
                });
                bids.for_each(|_cap, data| {
                    for (auction, price, t) in data.drain(..) {
                        if let Some((_, opens, expires, best)) = open.get_mut(&auction) {
                            if *opens <= t && t <= *expires {
                                *best = (*best).max(Some(price));
                            }
                        } else {
                            waiting.entry(auction).or_default().push((price, t));
                            waiting_by_time.push(Reverse((t, auction)));
                        }
                    }
                });
                let Some(cap) = held.as_mut() else { return };
                let lower = lower(a_frontier, b_frontier);
                let passed = |t: u64| lower.is_none_or(|l| l > t);
                let mut session = output.session(&*cap);
                while let Some(&Reverse((expires, id))) = closing.peek() {
                    if !passed(expires) {
                        break;
                    }
                    closing.pop();
                    if let Some((category, _, _, Some(price))) = open.remove(&id) {
                        session.give((category, price));
                    }
                }
                drop(session);
                while let Some(&Reverse((t, auction))) = waiting_by_time.peek() {
                    if !passed(t) {
                        break;
                    }
                    waiting_by_time.pop();
                    if let Some(early) = waiting.get_mut(&auction) {
                        early.retain(|&(_, at)| !passed(at));
                        if early.is_empty() {
                            waiting.remove(&auction);
                        }
                    }
                }
                match lower {
                    Some(l) if l > *cap.time() => cap.downgrade(&l),
                    Some(_) => {}
                    None => held = None,
                }
            }
        },
    )
}

/// q4's second stage: `(category, price)` exchanged by category, summed
/// and counted per category, emitted as `(category, sum, count)` once the
/// input is over (its frontier empty), at the operator's initial
/// capability, held until then.
fn sum_per_category<'s>(
    prices: StreamVec<'s, u64, (u64, u64)>,
) -> StreamVec<'s, u64, (u64, u64, u64)> {
    prices.unary_frontier::<CapacityContainerBuilder<Vec<_>>, _, _, _>(
        Exchange::new(|r: &(u64, u64)| r.0),
        "SumPerCategory",
        |cap, _info| {
            let mut held = Some(cap);
            let mut sums: FxHashMap<u64, (u64, u64)> = FxHashMap::default();
            move |(input, frontier), output| {
                input.for_each(|_cap, data| {
                    for (category, price) in data.drain(..) {
                        let (sum, count) = sums.entry(category).or_default();
                        *sum += price;
                        *count += 1;
                    }
                });
                if frontier.is_empty()
                    && let Some(cap) = held.take()
                {
                    let mut session = output.session(&cap);
                    for (category, (sum, count)) in sums.drain() {
                        session.give((category, sum, count));
                    }
                }
            }
        },
    )
}

/// q8: persons `(id, name, date_time)` and auctions as `(seller,
/// date_time)`, exchanged by person id to one operator that keeps, per 10 s
/// window and person id, the names of the persons and whether the person
/// sold something in the window, and emits `(id, name, window start)`,
/// once per name, for each person who did, once the lower input frontier
/// has passed the window's end. The operator holds its initial capability,
/// downgraded to the lower input frontier, and emits at it.
fn new_users<'s>(
    persons: StreamVec<'s, u64, (u64, u32, u64)>,
    sellers: StreamVec<'s, u64, (u64, u64)>,
) -> StreamVec<'s, u64, (u64, u32, u64)> {
    let start = |t: u64| t - t % Q8_WINDOW;
    persons.binary_frontier::<_, CapacityContainerBuilder<Vec<_>>, _, _, _, _>(
        sellers,
        Exchange::new(|p: &(u64, u32, u64)| p.0),
        Exchange::new(|a: &(u64, u64)| a.0),
        "NewUsers",
        move |cap, _info| {
            let mut held = Some(cap);
            // Per window start, per person id: names and whether they sold.
            type PerId = FxHashMap<u64, (Vec<u32>, bool)>;
            let mut windows: BTreeMap<u64, PerId> = BTreeMap::new();
            move |(persons, p_frontier), (sellers, s_frontier), output| {
                persons.for_each(|_cap, data| {
                    for (id, name, t) in data.drain(..) {
                        let window = windows.entry(start(t)).or_default();
                        window.entry(id).or_default().0.push(name);
                    }
                });
                sellers.for_each(|_cap, data| {
                    for (seller, t) in data.drain(..) {
                        let window = windows.entry(start(t)).or_default();
                        window.entry(seller).or_default().1 = true;
                    }
                });
                let Some(cap) = held.as_mut() else { return };
                let lower = lower(p_frontier, s_frontier);
                let mut session = output.session(&*cap);
                while let Some(entry) = windows.first_entry() {
                    let from = *entry.key();
                    if lower.is_some_and(|l| l < from + Q8_WINDOW) {
                        break;
                    }
                    for (id, (mut names, sold)) in entry.remove() {
                        if sold {
                            names.sort_unstable();
                            names.dedup();
                            for name in names {
                                session.give((id, name, from));
                            }
                        }
                    }
                }
                drop(session);
                match lower {
                    Some(l) if l > *cap.time() => cap.downgrade(&l),
                    Some(_) => {}
                    None => held = None,
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

#[cfg(test)]
mod tests {
    use laminar_examples::nexmark::DEFAULT_RATE;

    use super::*;

    /// Every system gives the reference's rows on both queries, on 200 000
    /// events (20 s of event time at Nexmark's rate: 2 q8 windows, about
    /// 12 000 auctions).
    #[test]
    fn every_join_system_agrees_with_the_reference() {
        let inputs = Inputs::generate(200_000, DEFAULT_RATE);
        for query in JoinQuery::ALL {
            let want = reference(query, &inputs);
            assert!(want.rows > 0, "{} has rows", query.name());
            for system in JOIN_SYSTEMS {
                let got = (system.run)(query, &inputs);
                assert_eq!(got, want, "{} on {}", system.name, query.name());
            }
        }
    }
}
