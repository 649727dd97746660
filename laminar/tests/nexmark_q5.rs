//! Nexmark q5 (hot items) against a plain reference: per auction, the
//! number of bids in each 10 s window sliding by 2 s, over 100 000 Nexmark
//! bids, on one core and on two; in order, shuffled within the lateness,
//! with bids held back until their windows are long gone (late output), and
//! with bids held back into the allowed lateness (windows fire again).
//!
//! The query's final step, the auctions with the most bids per window, is
//! the consumer's: checked here on top of the per-auction counts.

mod common;

use std::collections::BTreeMap;

use common::nexmark::*;
use laminar::Timestamp;
use laminar::prelude::*;
use laminar_examples::nexmark::q5;

const SIZE: u64 = 10_000;
const SLIDE: u64 = 2_000;
/// The pipelines' `event_time(.., lateness = 2s)`.
const LATENESS: u64 = 2_000;
/// `allowed_lateness = 5s` of [`q5_allowing`].
const ALLOWED: u64 = 5_000;

/// [`q5`] with an allowed lateness of 5 s: a window closed by the
/// watermark is kept, and fires again if a late bid lands in it.
fn q5_allowing() -> impl Pipeline<In = Bid, Out = Windowed<u64, u64>> {
    stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> key_by(|b| b.auction)
        -> window(sliding(10s, 2s), allowed_lateness = 5s)
        -> aggregate(count())
    }
}

/// Each bid counted in every window that contains it, per auction.
fn reference(bids: &[Bid]) -> Vec<Row<u64>> {
    aligned(bids, SIZE, SLIDE, |b| b.auction)
        .into_iter()
        .map(|((auction, start), bids)| (auction, start, start + SIZE, bids.len() as u64))
        .collect()
}

/// Nexmark q5's answer: per window, the highest count and the auctions
/// that have it.
fn hot_items(rows: &[Row<u64>]) -> BTreeMap<Timestamp, (u64, Vec<u64>)> {
    let mut hot: BTreeMap<Timestamp, (u64, Vec<u64>)> = BTreeMap::new();
    for &(auction, start, _, count) in rows {
        let entry = hot.entry(start).or_insert((count, Vec::new()));
        if count > entry.0 {
            *entry = (count, Vec::new());
        }
        if count == entry.0 {
            entry.1.push(auction);
        }
    }
    for (_, auctions) in hot.values_mut() {
        auctions.sort_unstable();
    }
    hot
}

/// End of the last window that contains `b`: the one its state is kept for.
fn last_window_end(b: &Bid) -> Timestamp {
    b.date_time - b.date_time % SLIDE + SIZE
}

#[test]
fn matches_the_reference_on_one_and_two_cores() {
    let bids = bids();
    let want = reference(bids);
    assert!(want.len() > 5_000, "many auctions in many windows");
    for rows in check_in_order(q5, bids, &want, "q5") {
        assert_eq!(hot_items(&rows), hot_items(&want));
    }
}

#[test]
fn shuffled_within_the_lateness_gives_the_same_results() {
    let bids = bids();
    check_shuffled(q5, bids, LATENESS, &reference(bids), "q5");
}

#[test]
fn bids_held_back_past_their_windows_go_to_the_late_output() {
    let feed = held_past_the_lateness(bids(), SIZE, LATENESS);
    // When they come, the watermark is past the end of the last window of
    // each, and its lateness (0).
    assert!(
        feed.held
            .iter()
            .all(|b| last_window_end(b) <= feed.watermark)
    );
    check_held_past_the_lateness(q5, &feed, &reference(&feed.kept), "q5");
}

/// Bids held back into the allowed lateness: some land in windows still
/// open, some in windows closed but within their allowed lateness, some
/// only in windows past it (late).
fn held_back_into_the_allowed_lateness() -> HeldBack {
    held_into_the_allowed_lateness(bids(), SIZE, LATENESS, ALLOWED)
}

#[test]
fn bids_held_back_go_late_exactly_when_their_last_window_is_past_the_allowed_lateness() {
    let HeldBack {
        kept,
        held,
        watermark,
    } = held_back_into_the_allowed_lateness();
    // An event is late iff the watermark reached the end of the last window
    // containing it plus the allowed lateness.
    let late: Vec<Bid> = held
        .iter()
        .filter(|b| last_window_end(b) + ALLOWED <= watermark)
        .copied()
        .collect();
    let first_window_end = |b: &Bid| b.date_time - b.date_time % SLIDE + SLIDE;
    // Partly late: its first windows are past the allowed lateness, its
    // last one is not. It counts in the windows still kept and goes to the
    // late output too, counted apart.
    let partly_late: Vec<Bid> = held
        .iter()
        .filter(|b| {
            first_window_end(b) + ALLOWED <= watermark && watermark < last_window_end(b) + ALLOWED
        })
        .copied()
        .collect();
    let refired = held
        .iter()
        .filter(|b| first_window_end(b) <= watermark && watermark < last_window_end(b) + ALLOWED)
        .count();
    let open = held
        .iter()
        .filter(|b| first_window_end(b) > watermark)
        .count();
    assert!(
        !late.is_empty() && !partly_late.is_empty() && refired > 0 && open > 0,
        "all four cases"
    );

    let run = run(q5_allowing(), 2, &[&kept, &held]);
    let late_output: Vec<Bid> = late.iter().chain(&partly_late).copied().collect();
    assert_same(&run.late, &late_output, "late output");
    assert_eq!(run.report.late(), late.len() as u64);
    assert_eq!(run.report.partly_late(), partly_late.len() as u64);
    assert!(
        run.rows.len() > reference(&kept).len(),
        "updated windows fired again"
    );
}

#[test]
fn bids_held_back_into_the_allowed_lateness_update_their_windows() {
    let HeldBack {
        kept,
        held,
        watermark,
    } = held_back_into_the_allowed_lateness();
    let run = run(q5_allowing(), 2, &[&kept, &held]);
    // A held-back bid counts in each of its windows still kept when it
    // comes (end + allowed lateness beyond the watermark); a window past
    // that is final.
    let mut windows = aligned(&kept, SIZE, SLIDE, |b| b.auction);
    for b in &held {
        for start in window_starts(b.date_time, SIZE, SLIDE) {
            if watermark < start + SIZE + ALLOWED {
                windows.entry((b.auction, start)).or_default().push(*b);
            }
        }
    }
    let want: Vec<Row<u64>> = windows
        .into_iter()
        .map(|((auction, start), bids)| (auction, start, start + SIZE, bids.len() as u64))
        .collect();
    // A window updated within its lateness fires again: its last result is
    // its final value. A window past its lateness never fires again.
    assert_same(&last_values(&run.rows), &want, "final value of each window");
    let finals: BTreeMap<(u64, Timestamp), u64> = want.iter().map(|w| ((w.0, w.1), w.3)).collect();
    for (auction, start, end, count) in &run.rows {
        if end + ALLOWED <= watermark {
            let want = finals.get(&(*auction, *start));
            assert_eq!(want, Some(count), "window past its lateness");
        }
    }
}

#[test]
fn read_by_sources_inside_the_cores_on_one_two_and_four_cores() {
    let bids = bids();
    check_source(q5, bids, LATENESS, &reference(bids), "q5");
}
