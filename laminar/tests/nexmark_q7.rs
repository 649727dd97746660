//! Nexmark q7 (highest bid) against a plain reference: per auction, the
//! highest price in each 10 s tumbling window, over 100 000 Nexmark bids, on
//! one core and on two; in order, shuffled within the lateness, with bids
//! held back until their windows are long gone (late output), and with bids
//! held back into the allowed lateness (windows fire again).
//!
//! The query's final step, the highest bid over all auctions per window, is
//! the consumer's: checked here on top of the per-auction results.

mod common;

use std::collections::BTreeMap;

use common::nexmark::*;
use laminar::Timestamp;
use laminar::prelude::*;
use laminar_examples::nexmark::q7;

const SIZE: u64 = 10_000;
/// The pipelines' `event_time(.., lateness = 2s)`.
const LATENESS: u64 = 2_000;
/// `allowed_lateness = 5s` of [`q7_allowing`].
const ALLOWED: u64 = 5_000;

/// [`q7`] with an allowed lateness of 5 s: a window closed by the
/// watermark is kept, and fires again if a late bid lands in it.
fn q7_allowing() -> impl Pipeline<In = Bid, Out = Windowed<u64, Option<u64>>> {
    stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> key_by(|b| b.auction)
        -> window(tumbling(10s), allowed_lateness = 5s)
        -> aggregate(max(|b| b.price))
    }
}

/// Group by (auction, window), take the highest price of each group.
fn reference(bids: &[Bid]) -> Vec<Row<Option<u64>>> {
    aligned(bids, SIZE, SIZE, |b| b.auction)
        .into_iter()
        .map(|((auction, start), bids)| {
            let max = bids.iter().map(|b| b.price).max();
            (auction, start, start + SIZE, max)
        })
        .collect()
}

/// Nexmark q7's answer: per window, the highest price and the auctions
/// that got it.
fn highest(rows: &[Row<Option<u64>>]) -> BTreeMap<Timestamp, (u64, Vec<u64>)> {
    let mut best: BTreeMap<Timestamp, (u64, Vec<u64>)> = BTreeMap::new();
    for &(auction, start, _, price) in rows {
        let price = price.expect("a window holds at least one bid");
        let entry = best.entry(start).or_insert((price, Vec::new()));
        if price > entry.0 {
            *entry = (price, Vec::new());
        }
        if price == entry.0 {
            entry.1.push(auction);
        }
    }
    for (_, auctions) in best.values_mut() {
        auctions.sort_unstable();
    }
    best
}

#[test]
fn matches_the_reference_on_one_and_two_cores() {
    let bids = bids();
    let want = reference(bids);
    assert!(want.len() > 1_000, "many auctions in many windows");
    for rows in check_in_order(q7, bids, &want, "q7") {
        assert_eq!(highest(&rows), highest(&want));
    }
}

#[test]
fn shuffled_within_the_lateness_gives_the_same_results() {
    let bids = bids();
    check_shuffled(q7, bids, LATENESS, &reference(bids), "q7");
}

#[test]
fn bids_held_back_past_their_windows_go_to_the_late_output() {
    let feed = held_past_the_lateness(bids(), SIZE, LATENESS);
    // When they come, the watermark is past each one's window end, and its
    // lateness (0).
    assert!(feed.held.iter().all(|b| window_end(b) <= feed.watermark));
    check_held_past_the_lateness(q7, &feed, &reference(&feed.kept), "q7");
}

/// End of the window that contains `b`.
fn window_end(b: &Bid) -> Timestamp {
    b.date_time - b.date_time % SIZE + SIZE
}

#[test]
fn bids_held_back_into_the_allowed_lateness_update_their_windows() {
    // The final watermark 2.5 s into a window: the window before it closed
    // but is within its allowed lateness.
    let bids = cut_at(bids(), LATENESS, SIZE, 2_500);
    // Some held-back bids land in windows still open, some in windows
    // closed but within their allowed lateness, some in windows past it.
    let HeldBack {
        kept,
        held,
        watermark,
    } = held_into_the_allowed_lateness(bids, SIZE, LATENESS, ALLOWED);
    // An event is late iff the watermark reached its window's end plus the
    // allowed lateness.
    let late: Vec<Bid> = held
        .iter()
        .filter(|b| window_end(b) + ALLOWED <= watermark)
        .copied()
        .collect();
    let refired = held
        .iter()
        .filter(|b| window_end(b) <= watermark && watermark < window_end(b) + ALLOWED)
        .count();
    let open = held.iter().filter(|b| window_end(b) > watermark).count();
    assert!(
        !late.is_empty() && refired > 0 && open > 0,
        "all three cases"
    );

    let run = run(q7_allowing(), 2, &[&kept, &held]);
    assert_same(&run.late, &late, "late output");
    assert_eq!(run.report.late(), late.len() as u64);
    // A window updated within its lateness fires again: its last result is
    // its final value, and every window of the reference fired.
    let want = reference(&without(bids, &late));
    assert_same(&last_values(&run.rows), &want, "final value of each window");
    assert!(run.rows.len() > want.len(), "updated windows fired again");
}

#[test]
fn read_by_sources_inside_the_cores_on_one_two_and_four_cores() {
    let bids = bids();
    check_source(q7, bids, LATENESS, &reference(bids), "q7");
}
