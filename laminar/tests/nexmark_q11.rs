//! Nexmark q11 (user sessions) against a plain reference: per bidder, the
//! number of bids in each session (a session ends after 10 s without a
//! bid), over 100 000 Nexmark bids, on one core and on two; in order,
//! shuffled within the lateness, with bids held back until their sessions
//! are long gone (late output), and with bids held back into the allowed
//! lateness (sessions grow, merge and fire again).

mod common;

use std::collections::HashMap;

use common::nexmark::*;
use laminar::prelude::*;
use laminar_examples::nexmark::q11;

const GAP: u64 = 10_000;
/// The pipelines' `event_time(.., lateness = 2s)`.
const LATENESS: u64 = 2_000;
/// `allowed_lateness = 5s` of [`q11_allowing`].
const ALLOWED: u64 = 5_000;

/// [`q11`] with an allowed lateness of 5 s: a session closed by the
/// watermark is kept, and fires again if a late bid grows or merges it.
fn q11_allowing() -> impl Pipeline<In = Bid, Out = Windowed<u64, u64>> {
    stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> key_by(|b| b.bidder)
        -> window(session(10s), allowed_lateness = 5s)
        -> aggregate(count())
    }
}

/// Each bidder's bids sorted by time and split at gaps of 10 s or more;
/// each session counted.
fn reference(bids: &[Bid]) -> Vec<Row<u64>> {
    sessions(bids, GAP, |b| b.bidder)
        .into_iter()
        .map(|(bidder, start, end, bids)| (bidder, start, end, bids.len() as u64))
        .collect()
}

#[test]
fn matches_the_reference_on_one_and_two_cores() {
    let bids = bids();
    let want = reference(bids);
    assert!(want.len() > 1_000, "many sessions");
    assert!(want.iter().any(|s| s.3 > 100), "some long sessions");
    check_in_order(q11, bids, &want, "q11");
}

#[test]
fn shuffled_within_the_lateness_gives_the_same_results() {
    let bids = bids();
    check_shuffled(q11, bids, LATENESS, &reference(bids), "q11");
}

#[test]
fn bids_held_back_past_their_sessions_go_to_the_late_output() {
    let feed = held_past_the_lateness(bids(), GAP, LATENESS);
    // When they come, each is late: its own session [ts, ts + gap) ended,
    // plus the allowed lateness (0), at or before the watermark.
    assert!(
        feed.held
            .iter()
            .all(|b| b.date_time + GAP <= feed.watermark)
    );
    check_held_past_the_lateness(q11, &feed, &reference(&feed.kept), "q11");
}

/// Bids held back into the allowed lateness, and those of them that are
/// late: their own session is past the gap and the allowed lateness
/// (ts + gap + allowed lateness <= watermark), or they would merge into a
/// session of the other bids that is (its end + allowed lateness <=
/// watermark; its result is final).
fn held_back_into_the_allowed_lateness() -> (HeldBack, Vec<Bid>) {
    let feed = held_into_the_allowed_lateness(bids(), GAP, LATENESS, ALLOWED);
    let mut finals: HashMap<u64, Vec<(u64, u64)>> = HashMap::new();
    for (bidder, start, end, _) in sessions(&feed.kept, GAP, |b| b.bidder) {
        if end + ALLOWED <= feed.watermark {
            finals.entry(bidder).or_default().push((start, end));
        }
    }
    let joins_a_final = |b: &Bid| {
        finals.get(&b.bidder).is_some_and(|list| {
            list.iter()
                .any(|&(start, end)| start < b.date_time + GAP && b.date_time < end)
        })
    };
    let late: Vec<Bid> = feed
        .held
        .iter()
        .filter(|b| b.date_time + GAP + ALLOWED <= feed.watermark || joins_a_final(b))
        .copied()
        .collect();
    assert!(!late.is_empty() && late.len() < feed.held.len());
    assert!(
        late.iter()
            .any(|b| b.date_time + GAP + ALLOWED > feed.watermark),
        "some are late only by the final session they would merge into"
    );
    (feed, late)
}

#[test]
fn bids_held_back_go_late_exactly_when_past_gap_and_allowed_lateness() {
    let (HeldBack { kept, held, .. }, late) = held_back_into_the_allowed_lateness();
    let run = run(q11_allowing(), 2, &[&kept, &held]);
    assert_same(&run.late, &late, "late output");
    assert_eq!(run.report.late(), late.len() as u64);
    assert_eq!(run.report.partly_late(), 0);
}

#[test]
fn bids_held_back_into_the_allowed_lateness_update_their_sessions() {
    let (
        HeldBack {
            kept,
            held,
            watermark,
        },
        late,
    ) = held_back_into_the_allowed_lateness();
    // When the held-back bids come, sessions of the others that ended
    // `ALLOWED` or more before the watermark are final (a held-back bid that
    // would merge into one is late); the rest, with the held-back bids that
    // are not late, make sessions as usual.
    let before = sessions(&kept, GAP, |b| b.bidder);
    let mut want = Vec::new();
    let mut open = without(&held, &late);
    for (bidder, start, end, bids) in before {
        if end + ALLOWED <= watermark {
            want.push((bidder, start, end, bids.len() as u64));
        } else {
            open.extend(bids);
        }
    }
    want.extend(reference(&open));

    let run = run(q11_allowing(), 2, &[&kept, &held]);
    // Every final session went out, and every result is a final session or
    // an earlier state of one (a session that later grew or merged).
    let got = sorted(run.rows.clone());
    let missing: Vec<_> = want
        .iter()
        .filter(|w| got.binary_search(w).is_err())
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} sessions never went out, e.g. {:?}",
        missing.len(),
        want.len(),
        &missing[..missing.len().min(5)]
    );
    for &(bidder, start, end, count) in &got {
        assert!(
            want.iter()
                .any(|w| w.0 == bidder && w.1 <= start && end <= w.2 && count <= w.3),
            "({bidder}, {start}, {end}, {count}) is part of no final session"
        );
    }
}

#[test]
fn read_by_sources_inside_the_cores_on_one_two_and_four_cores() {
    let bids = bids();
    check_source(q11, bids, LATENESS, &reference(bids), "q11");
}
