//! Nexmark's extended queries q15 (bidding statistics), q16 (channel
//! statistics) and q17 (auction statistics), as `laminar_examples::nexmark`
//! writes them, against the plain references of
//! `laminar_examples::reference`: on 1, 2 and 4 cores, in order and
//! shuffled within the lateness, read by a source inside the cores and
//! submitted through an input handle. Windows are 10 s instead of a day,
//! so that the test's bids (about two minutes of event time) fill many.

mod common;

use std::time::Duration;

use common::nexmark::{Bid, aligned, assert_same, bids, shuffle_within};
use laminar::Report;
use laminar::prelude::*;
use laminar_examples::nexmark::{self, AuctionStats, PerRank};
use laminar_examples::reference::{self, Counts, Q15Row, Q16Row, Q17Row};

const SIZE: Duration = Duration::from_secs(10);
const SIZE_MS: u64 = 10_000;
/// The pipelines' lateness: the shuffle stays within it.
const LATENESS: u64 = 2_000;

/// How the bids reach the cores.
#[derive(Clone, Copy, Debug)]
enum Via {
    /// A source inside the cores, each core reading its blocks of the
    /// slice.
    Source,
    /// One input handle, fed by a thread in batches.
    Handle,
}

/// Runs `pipeline` on `cores` cores over `bids`, draining the results and
/// late events while it runs, and checks that every bid was consumed and
/// none dropped or late.
fn run<P: Pipeline<In = Bid>>(
    pipeline: P,
    cores: usize,
    bids: &[Bid],
    via: Via,
) -> (Vec<P::Out>, Report) {
    let mut rt = Runtime::builder()
        .cores(cores)
        .build(pipeline)
        .expect("runtime");
    let mut out = Vec::new();
    let mut late = Vec::new();
    match via {
        Via::Source => {
            let shared: std::sync::Arc<[Bid]> = bids.into();
            rt.attach(laminar::source::from_slice(shared));
            while !rt.sources_done() {
                rt.drain(&mut out);
                rt.drain_late(&mut late);
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        Via::Handle => {
            let mut input = rt.input();
            std::thread::scope(|s| {
                let feeder = s.spawn(move || {
                    for batch in bids.chunks(1024) {
                        input.submit_iter(batch.iter().copied()).expect("submit");
                    }
                });
                while !feeder.is_finished() {
                    rt.drain(&mut out);
                    rt.drain_late(&mut late);
                    std::thread::sleep(Duration::from_micros(200));
                }
                feeder.join().expect("feeder thread");
            });
        }
    }
    let report = rt.finish_with_late(&mut out, &mut late).expect("finish");
    assert_eq!(
        report.events_in(),
        bids.len() as u64,
        "every bid was consumed"
    );
    assert_eq!(report.dropped(), 0);
    assert_eq!(report.late(), 0);
    assert_eq!(report.partly_late(), 0);
    assert!(late.is_empty(), "{} bids late", late.len());
    let sent: u64 = report.cores.iter().map(|c| c.sent).sum();
    let received: u64 = report.cores.iter().map(|c| c.received).sum();
    assert_eq!(sent, received, "what crossed an exchange arrived");
    (out, report)
}

/// On 1, 2 and 4 cores, the test bids in order and shuffled within the
/// lateness, from a source and through a handle: `pipeline`'s results,
/// each made a reference row by `row`, are `want` as a multiset.
fn check<P, R>(pipeline: impl Fn() -> P, row: impl Fn(P::Out) -> R, want: &[R], name: &str)
where
    P: Pipeline<In = Bid>,
    R: Ord + Clone + std::fmt::Debug,
{
    let bids = bids();
    let shuffled = shuffle_within(bids, LATENESS, 11);
    assert_ne!(shuffled, bids, "the shuffle moved bids");
    for (order, feed) in [("in order", bids), ("shuffled", &shuffled[..])] {
        for cores in [1, 2, 4] {
            for via in [Via::Source, Via::Handle] {
                let what = format!("{name}, {order}, {via:?}, {cores} cores");
                let (out, report) = run(pipeline(), cores, feed, via);
                let rows: Vec<R> = out.into_iter().map(&row).collect();
                assert_same(&rows, want, &what);
                if cores > 1 && matches!(via, Via::Source) {
                    // Keyed bids cross to their key's core (`sent`); a
                    // two-phase `window_all` sends each core's window
                    // accumulators to core 0 instead (`shuffled`).
                    let sent: u64 = report.cores.iter().map(|c| c.sent).sum();
                    assert!(
                        sent + report.shuffled() > 0,
                        "{what}: records crossed between cores"
                    );
                }
            }
        }
    }
}

fn counts(c: PerRank) -> Counts {
    Counts {
        total: c.total,
        rank: c.rank,
    }
}

fn stats((bids, bidders, auctions): nexmark::BidStats) -> reference::BidStats {
    reference::BidStats {
        bids: counts(bids),
        bidders: counts(bidders),
        auctions: counts(auctions),
    }
}

#[test]
fn q15_matches_the_reference() {
    let want = reference::q15_with(bids(), SIZE_MS);
    assert!(want.len() >= 10, "{} windows", want.len());
    let row = |w: Windowed<(), nexmark::BidStats>| Q15Row {
        start: w.start,
        end: w.end,
        stats: stats(w.value),
    };
    check(|| nexmark::q15(SIZE), row, &want, "q15");
}

#[test]
fn q16_matches_the_reference() {
    let want = reference::q16_with(bids(), SIZE_MS);
    let channels: std::collections::BTreeSet<u32> = want.iter().map(|r| r.channel).collect();
    assert!(channels.len() > 100, "{} channels", channels.len());
    let row = |w: Windowed<u32, (PerRank, PerRank, PerRank, Option<u64>)>| {
        let (bids, bidders, auctions, minute) = w.value;
        Q16Row {
            start: w.start,
            end: w.end,
            channel: w.key,
            minute: minute.expect("a window has a bid"),
            stats: stats((bids, bidders, auctions)),
        }
    };
    check(|| nexmark::q16(SIZE), row, &want, "q16");
}

#[test]
fn q17_matches_the_reference() {
    let want = reference::q17_with(bids(), SIZE_MS);
    assert!(want.len() > 1_000, "{} rows", want.len());
    let row = |w: Windowed<u64, AuctionStats>| Q17Row {
        start: w.start,
        end: w.end,
        auction: w.key,
        bids: counts(w.value.bids),
        min_price: w.value.min_price,
        max_price: w.value.max_price,
        avg_price: w.value.avg_price,
        sum_price: w.value.sum_price,
    };
    check(|| nexmark::q17(SIZE), row, &want, "q17");
}

/// The tumbling windows above keep one accumulator per window and never
/// merge; sliding windows keep panes and merge them when a window fires.
/// q15's aggregates over 10 s windows sliding by 2 s, against the
/// reference's statistics of each window's bids.
#[test]
fn q15_aggregates_merge_over_sliding_panes() {
    let bids = bids();
    let want: Vec<(u64, u64, reference::BidStats)> = aligned(bids, SIZE_MS, 2_000, |_| 0)
        .into_iter()
        .map(|((_, start), list)| (start, start + SIZE_MS, reference::BidStats::of(&list)))
        .collect();
    assert!(want.len() > 50, "{} windows", want.len());
    let pipeline = || {
        stream! {
            Bid
            -> event_time(|b| b.date_time, lateness = 2s)
            -> window_all(sliding(10s, 2s))
            -> aggregate(
                nexmark::RankedCount,
                nexmark::distinct_per_rank(|b| b.bidder),
                nexmark::distinct_per_rank(|b| b.auction)
            )
        }
    };
    let shuffled = shuffle_within(bids, LATENESS, 5);
    for cores in [1, 2] {
        let (out, _) = run(pipeline(), cores, &shuffled, Via::Handle);
        let rows: Vec<_> = out
            .into_iter()
            .map(|w| (w.start, w.end, stats(w.value)))
            .collect();
        assert_same(&rows, &want, &format!("sliding q15, {cores} cores"));
    }
}
