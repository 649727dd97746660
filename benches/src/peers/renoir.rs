//! renoir: each replica reads its share of the bids in its own source
//! (`stream_par_iter`, every `replicas`-th bid, so each share is in time
//! order); the stateless queries are renoir's `map` and `filter`. Every
//! query ends in a `fold_assoc` of the rows into a [`Digest`]: per
//! replica, then once. The windowed queries have a watermark every
//! [`TIME_STEP`] of event time at each source, then `group_by` (an
//! exchange by key), and run two ways ([`Windows`]):
//!
//! - [`Windows::Panes`]: grouped by auction, into a `rich_map_custom`
//!   operator that aggregates by [`Panes`], the code timely's operator
//!   runs: renoir's sources, exchange and scheduling around the same
//!   window code.
//! - [`Windows::Own`]: renoir's event-time windows. They are not the
//!   aligned windows of q5 and q7, so these are written around them. A
//!   key's windows start at that key's first event, not on a grid of their
//!   slide, and never before it (so a sliding window that began before the
//!   first event, and contains it, is never opened); and an event older
//!   than its key's oldest open window is dropped without a word, which
//!   after an exchange from two replicas happens (renoir's windows do not
//!   reorder their input; its `reorder` operator would, by buffering and
//!   sorting between watermarks). So each event is keyed by `(auction,
//!   window start)` and timestamped with its window's start: every event
//!   of a key has the same timestamp, and one tumbling 10 s window per key
//!   holds them all, in any order.
//!   - q7: one such event per bid; the window keeps the maximum price.
//!     (Keyed by auction alone, with `reorder` before the window, it ran
//!     at the same speed.)
//!   - q5: each bid is copied once per window it falls in (`flat_map`,
//!     five copies), and the window counts them: five keyed events per bid
//!     where the other systems route one. The watermark lags the
//!     timestamps by 8 s, as a bid's copies reach that far back.

use std::collections::VecDeque;
use std::sync::Arc;

use ::renoir::Stream;
use ::renoir::operator::{ElementGenerator, Operator, StreamElement, Timestamp};
use ::renoir::prelude::*;
use laminar_examples::nexmark::Bid;

use super::panes::Panes;
use super::{Digest, Query, Row, SLIDE, TIME_STEP, WINDOW, q5_windows, q7_window};
use crate::nexmark::{q2_selects, to_euros};

/// Which windows q5 and q7 run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Windows {
    /// A `rich_map_custom` operator aggregating by [`Panes`], as timely's
    /// and the hand loop's: renoir's exchange and scheduling around the
    /// same window code.
    Panes,
    /// renoir's own event-time windows, keyed by `(auction, window start)`
    /// (see the module's notes); the stateless queries do not run.
    Own,
}

/// Runs `query` over `bids` on `replicas` replicas of each block (threads
/// of one process), from building the context to the end of execution.
pub fn run(query: Query, bids: &Arc<[Bid]>, replicas: usize, windows: Windows) -> Option<Digest> {
    let stateless = matches!(query, Query::Q0 | Query::Q1 | Query::Q2);
    if windows == Windows::Own && stateless {
        return None;
    }
    // The stage over all auctions of a window is not written for renoir.
    if matches!(query, Query::Q5Hot | Query::Q7Highest) {
        return None;
    }
    let config = RuntimeConfig::local(replicas as u64).expect("a local renoir configuration");
    let ctx = StreamContext::new(config);
    let all = Arc::clone(bids);
    let bids = ctx.stream_par_iter(move |index, peers| {
        let all = Arc::clone(&all);
        (index as usize..all.len())
            .step_by(peers as usize)
            .map(move |i| all[i])
    });
    let window = EventTimeWindow::tumbling(WINDOW as Timestamp);
    let digest = match (query, windows) {
        (Query::Q0, _) => digest(bids),
        (Query::Q1, _) => digest(bids.map(|b| Bid {
            price: to_euros(b.price),
            ..b
        })),
        (Query::Q2, _) => digest(bids.filter(q2_selects).map(|b| (b.auction, b.price))),
        (Query::Q5, Windows::Panes) => digest(per_window(bids, Panes::counts(SLIDE))),
        (Query::Q7, Windows::Panes) => digest(per_window(bids, Panes::maxima(WINDOW))),
        (Query::Q5, Windows::Own) => digest(
            bids.flat_map(|b| q5_windows(b.date_time).map(move |start| (b.auction, start)))
                .add_timestamps(|&(_, start)| start as Timestamp, watermarks(WINDOW - SLIDE))
                .group_by(|&auction_start| auction_start)
                .window(window)
                .count()
                .unkey()
                .map(|((auction, start), n)| (auction, start, n as u64)),
        ),
        (Query::Q7, Windows::Own) => digest(
            bids.map(|b| (b.auction, b.price, q7_window(b.date_time)))
                .add_timestamps(|&(_, _, start)| start as Timestamp, watermarks(0))
                .group_by(|&(auction, _, start)| (auction, start))
                .window(window)
                .fold(0, |max, &(_, price, _)| *max = price.max(*max))
                .unkey()
                .map(|((auction, start), max)| (auction, start, max)),
        ),
        (Query::Q5Hot | Query::Q7Highest, _) => unreachable!("returned above"),
    };
    ctx.execute_blocking();
    let (rows, sum) = digest
        .get()
        .and_then(|d| d.into_iter().next())
        .unwrap_or_default();
    Some(Digest { rows, sum })
}

/// Groups the bids by auction and aggregates their prices per auction and
/// window with `panes`, in a `rich_map_custom` operator per replica that
/// emits a window, as `(auction, window start, aggregate)`, once a
/// watermark has passed its end.
fn per_window<Op>(bids: Stream<Op>, panes: Panes) -> Stream<impl Operator<Out = (u64, u64, u64)>>
where
    Op: Operator<Out = Bid> + 'static,
{
    let mut op = PaneOp {
        panes,
        out: VecDeque::new(),
        then: None,
    };
    bids.map(|b| (b.auction, b.price, b.date_time))
        .add_timestamps(|&(_, _, t)| t as Timestamp, watermarks(0))
        .group_by(|&(auction, _, _)| auction)
        .rich_map_custom(move |input| op.next(input))
}

/// The state of [`per_window`]'s operator: the panes, the rows of the
/// windows emitted and not yet passed on, and the element to pass on after
/// them.
#[derive(Clone)]
struct PaneOp {
    panes: Panes,
    out: VecDeque<(u64, u64, u64)>,
    then: Option<StreamElement<(u64, u64, u64)>>,
}

impl PaneOp {
    fn next<Op>(&mut self, mut input: ElementGenerator<Op>) -> StreamElement<(u64, u64, u64)>
    where
        Op: Operator<Out = (u64, (u64, u64, u64))>,
    {
        loop {
            if let Some(row) = self.out.pop_front() {
                return StreamElement::Item(row);
            }
            if let Some(then) = self.then.take() {
                return then;
            }
            let until = match input.next() {
                StreamElement::Item((_, (auction, price, t)))
                | StreamElement::Timestamped((_, (auction, price, t)), _) => {
                    self.panes.add(auction, price, t);
                    continue;
                }
                StreamElement::FlushBatch => return StreamElement::FlushBatch,
                // No event at or before `w` follows: a window ending at
                // `w + 1` or before is complete.
                StreamElement::Watermark(w) => {
                    self.then = Some(StreamElement::Watermark(w));
                    w + 1
                }
                StreamElement::Terminate => {
                    self.then = Some(StreamElement::Terminate);
                    Timestamp::MAX
                }
                StreamElement::FlushAndRestart => {
                    self.then = Some(StreamElement::FlushAndRestart);
                    Timestamp::MAX
                }
            };
            while let Some((_, end)) = self.panes.next_window() {
                if end as Timestamp > until {
                    break;
                }
                let out = &mut self.out;
                self.panes.emit_next(|row| out.push_back(row));
            }
        }
    }
}

/// A watermark generator for `add_timestamps`: each time an event's
/// timestamp is [`TIME_STEP`] past the one that made the last watermark,
/// that timestamp less `lag` (how far back the timestamps of the events
/// still to come can reach) less 1 (a renoir watermark `w` says that no
/// timestamp at or below `w` follows; later bids can have the same time).
fn watermarks<T>(lag: u64) -> impl FnMut(&T, &Timestamp) -> Option<Timestamp> + Clone + Send {
    let mut last = Timestamp::MIN;
    move |_, &ts| {
        (ts >= last.saturating_add(TIME_STEP as Timestamp)).then(|| {
            last = ts;
            ts - lag as Timestamp - 1
        })
    }
}

/// Folds the stream's rows into a digest, `(rows, sum)`: per replica, then
/// the replicas' into one.
fn digest<Op>(stream: Stream<Op>) -> StreamOutput<Vec<(u64, u64)>>
where
    Op: Operator + 'static,
    Op::Out: Row,
{
    stream
        .fold_assoc(
            (0, 0),
            |(rows, sum), r| {
                let mut d = Digest {
                    rows: *rows,
                    sum: *sum,
                };
                d.add(r.row());
                (*rows, *sum) = (d.rows, d.sum);
            },
            |(rows, sum), (r, s)| {
                *rows += r;
                *sum = sum.wrapping_add(s);
            },
        )
        .collect_vec()
}
