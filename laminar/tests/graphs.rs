//! Pipelines that are graphs: a `key_by` after a window (an exchange in
//! mid-pipeline), two windows in a row, time carried by the records.
//! Nexmark q5 in its two-stage form against a plain reference, on 1, 2
//! and 4 cores, in order and shuffled within the lateness, read by sources
//! inside the cores and submitted through handles.

mod common;

use std::collections::BTreeMap;

use common::nexmark::*;
use laminar::Timestamp;
use laminar::prelude::*;
use laminar_examples::nexmark::q5_hot;

const SIZE: u64 = 10_000;
const SLIDE: u64 = 2_000;
const LATENESS: u64 = 2_000;

/// Per window of q5 (keyed by its start), the highest count of bids of one
/// auction and the auctions that have it: computed plainly.
fn reference(bids: &[Bid]) -> Vec<Row<(u64, Vec<u64>)>> {
    let mut hot: BTreeMap<Timestamp, (u64, Vec<u64>)> = BTreeMap::new();
    for ((auction, start), bids) in aligned(bids, SIZE, SLIDE, |b| b.auction) {
        let count = bids.len() as u64;
        let entry = hot.entry(start).or_insert((count, Vec::new()));
        if count > entry.0 {
            *entry = (count, Vec::new());
        }
        if count == entry.0 {
            entry.1.push(auction);
        }
    }
    hot.into_iter()
        .map(|(start, (count, mut auctions))| {
            auctions.sort_unstable();
            // The second stage's window: `[end - 2 s, end)` of the first's.
            (start, start + SIZE - SLIDE, start + SIZE, (count, auctions))
        })
        .collect()
}

#[test]
fn q5_two_stage_matches_the_reference_from_sources() {
    let bids = bids();
    let want = reference(bids);
    assert!(want.len() > 40, "many windows");
    check_source(q5_hot, bids, LATENESS, &want, "q5 two-stage");
}

#[test]
fn q5_two_stage_matches_the_reference_through_handles() {
    let bids = bids();
    let want = reference(bids);
    for cores in [1, 2, 4] {
        let run = run(q5_hot(), cores, &[bids]);
        assert_same(&run.rows, &want, &format!("q5 two-stage, {cores} cores"));
        assert_eq!(run.report.late(), 0);
        let out: u64 = run.report.cores.iter().map(|c| c.shuffled_out).sum();
        let inn: u64 = run.report.cores.iter().map(|c| c.shuffled_in).sum();
        assert_eq!(out, inn, "every record that left a core arrived");
        if cores > 1 {
            assert!(out > 0, "the first stage's results crossed between cores");
        }
    }
}

/// q7's highest prices as `(start, end, max)`, sorted.
fn q7_rows(out: Vec<laminar::Windowed<(), Option<u64>>>) -> Vec<(u64, u64, u64)> {
    sorted(
        out.into_iter()
            .filter_map(|w| w.value.map(|m| (w.start, w.end, m)))
            .collect(),
    )
}

/// Runs q7 (one `window_all`, in two phases) on `cores` cores over `bids`,
/// read by a source inside the cores or submitted through a handle.
fn run_q7(
    bids: &[Bid],
    cores: usize,
    from_source: bool,
) -> (Vec<(u64, u64, u64)>, laminar::Report) {
    let rt = Runtime::builder()
        .cores(cores)
        .build(laminar_examples::nexmark::q7_highest())
        .expect("runtime");
    let mut out = Vec::new();
    if from_source {
        let shared: std::sync::Arc<[Bid]> = bids.into();
        rt.attach(laminar::source::from_slice(shared));
    } else {
        let mut input = rt.input();
        input.submit_iter(bids.iter().copied()).expect("submit");
    }
    let report = rt.finish_into(&mut out).expect("finish");
    assert_eq!(report.events_in(), bids.len() as u64);
    (q7_rows(out), report)
}

#[test]
fn q7_window_all_in_two_phases_matches_the_reference() {
    let bids = bids();
    let want = laminar_examples::reference::q7_highest(bids);
    assert!(want.len() > 5, "several windows");
    let shuffled = shuffle_within(bids, LATENESS, 5);
    for (order, feed) in [("in order", bids), ("shuffled", &shuffled[..])] {
        for cores in [1, 2, 4] {
            for from_source in [true, false] {
                let what = format!("q7, {order}, {cores} cores, source: {from_source}");
                let (got, report) = run_q7(feed, cores, from_source);
                assert_eq!(got, want, "{what}");
                assert_eq!(report.late(), 0, "{what}");
                // Only each core's accumulator of each window crosses to
                // core 0, never the bids: that is the two phases.
                let crossed = report.shuffled();
                let bound = (want.len() as u64 + 1) * (cores as u64 - 1);
                assert!(crossed <= bound, "{what}: {crossed} crossed, bound {bound}");
                if cores > 1 && from_source {
                    assert!(crossed > 0, "{what}: the other cores' accumulators crossed");
                }
            }
        }
    }
}

/// Time travels with the record: each item a `flat_map` makes from an
/// event carries that event's time, through `map` and an exchange, into
/// the window that counts it; and a window's result carries its end - 1,
/// so a second window puts it in the window holding that end.
#[test]
fn records_carry_their_time_through_flat_map_map_and_exchanges() {
    for cores in [1, 2, 4] {
        let p = stream! {
            (u64, u64)                                   // (id, time ms)
            -> event_time(|e| e.1, lateness = 0ms)
            -> flat_map(|e| (0..3).map(move |k| (e.0 * 3 + k, e.0)))
            -> map(|(item, id)| (item % 5, id))
            -> key_by(|r| r.0)
            -> window(tumbling(100ms))
            -> aggregate(count(), max(|r| r.1))
            -> key_by(|w| w.start)
            -> window(tumbling(100ms))
            -> aggregate(sum(|w| w.value.0))
        };
        let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
        // Event i at time 10 * i ms: 10 events per 100 ms window, 3 items
        // each, all in their event's window.
        rt.input()
            .submit_iter((0..100u64).map(|i| (i, 10 * i)))
            .expect("submit");
        let mut out = Vec::new();
        let report = rt.finish_into(&mut out).expect("finish");
        out.sort_by_key(|w| w.start);
        let got: Vec<(u64, u64)> = out.iter().map(|w| (w.start, w.value)).collect();
        let want: Vec<(u64, u64)> = (0..10).map(|k| (k * 100, 30)).collect();
        assert_eq!(got, want, "{cores} cores: 30 items in each 100 ms window");
        assert_eq!(report.late(), 0, "{cores} cores");
    }
}

/// A window after a stage that changed the records has late records that
/// are not of the pipeline's input type, so the late output (typed by the
/// input) cannot carry them: they are counted late, and apart, never lost
/// unseen. Every record is either in a window's count or counted late.
#[test]
fn late_records_of_another_type_are_counted_not_lost() {
    for cores in [1, 2] {
        let p = stream! {
            (u64, u64)                                 // (id, time ms)
            -> event_time(|e| e.1)
            -> map(|e| (e.0 % 3, e.1 * 2))             // another type would do too
            -> map(|(k, t)| (k as u32, t))
            -> key_by(|r| r.0)
            -> window(tumbling(100ms))
            -> aggregate(count())
        };
        let mut rt = Runtime::builder().cores(cores).build(p).expect("runtime");
        let mut input = rt.input();
        input
            .submit_iter((0..1_000u64).map(|i| (i, 10 * i)))
            .expect("submit");
        // Every window that ends by the watermark (9,990 ms) has fired on
        // its core: each core's time after the exchange is past them. (The
        // cores learn each other's watermarks as they go; records sent
        // before that would not be late everywhere.)
        let mut out = Vec::new();
        let started = std::time::Instant::now();
        while out.len() < 99 * 3 && started.elapsed() < std::time::Duration::from_secs(30) {
            rt.drain(&mut out);
            std::thread::yield_now();
        }
        assert_eq!(out.len(), 99 * 3, "{cores} cores: the closed windows fired");
        // Far behind the watermark: late wherever they land.
        input
            .submit_iter((0..20u64).map(|i| (i, i)))
            .expect("submit");
        drop(input);
        let mut late = Vec::new();
        let report = rt.finish_with_late(&mut out, &mut late).expect("finish");
        let counted: u64 = out.iter().map(|w| w.value).sum();
        let not_kept: u64 = report.cores.iter().map(|c| c.late_not_kept).sum();
        assert!(
            late.is_empty(),
            "{cores} cores: the late output carries the input type"
        );
        assert_eq!(
            not_kept,
            report.late(),
            "{cores} cores: every late record counted apart"
        );
        assert_eq!(
            report.late(),
            20,
            "{cores} cores: the records behind the watermark were late"
        );
        assert_eq!(
            counted + report.late(),
            1_020,
            "{cores} cores: every record accounted for"
        );
        let lost: u64 = report.cores.iter().map(|c| c.outputs_lost).sum();
        assert_eq!(lost, 0, "{cores} cores");
    }
}
