//! Nexmark q8, q9, q4 and q6 as Laminar pipelines
//! (`laminar_examples::nexmark_joins`) against the plain references of
//! `laminar_examples::reference_joins`, on 100 000 events at the default
//! rate, on 1, 2 and 4 cores: each input fed through its own port handle
//! from its own thread, in order and shuffled within the lateness, and
//! both inputs interleaved in chunks from one thread. Results must equal
//! the reference's exactly, and no event may be late.

mod common;

use std::sync::OnceLock;

use laminar::Pipeline;
use laminar::port::Either;
use laminar::prelude::*;
use laminar_examples::nexmark::{Bid, DEFAULT_RATE};
use laminar_examples::nexmark_events::{Auction, Person, auctions, bids, events, persons};
use laminar_examples::nexmark_joins::{self, OPEN_BOUND_MS, max_open_ms};
use laminar_examples::reference_joins;

use common::nexmark::shuffle_within_by as shuffle_within;

/// The events' count.
const EVENTS: usize = 100_000;
/// The pipelines' lateness, in ms: shuffled input moves no event further.
const LATENESS_MS: u64 = 1_000;

struct Input {
    persons: Vec<Person>,
    auctions: Vec<Auction>,
    bids: Vec<Bid>,
}

fn input() -> &'static Input {
    static INPUT: OnceLock<Input> = OnceLock::new();
    INPUT.get_or_init(|| {
        let all = events(EVENTS, DEFAULT_RATE);
        let input = Input {
            persons: persons(&all),
            auctions: auctions(&all),
            bids: bids(&all),
        };
        let bound = max_open_ms(DEFAULT_RATE);
        assert!(bound <= OPEN_BOUND_MS);
        assert!(
            input
                .auctions
                .iter()
                .all(|a| a.expires - a.date_time <= bound),
            "an auction open longer than {bound} ms"
        );
        input
    })
}

/// How the two inputs are fed.
#[derive(Clone, Copy, Debug)]
enum Feed {
    /// Each input from its own thread, in time order.
    Threads,
    /// Each input from its own thread, shuffled within the lateness.
    Shuffled,
    /// Both from this thread, a chunk of each in turn.
    Interleaved,
}

const FEEDS: [Feed; 3] = [Feed::Threads, Feed::Shuffled, Feed::Interleaved];

/// Runs `pipeline` on `cores` cores over `left` and `right`, each through
/// its own port, as `feed` says; returns its results, sorted.
macro_rules! run {
    ($pipeline:expr, $cores:expr, $feed:expr, $left:ty: $l:expr, $right:ty: $r:expr) => {{
        let (cores, feed): (usize, Feed) = ($cores, $feed);
        let rt = Runtime::builder()
            .cores(cores)
            .build($pipeline)
            .expect("runtime");
        let mut left = rt.port::<$left, _>();
        let mut right = rt.port::<$right, _>();
        let seed = cores as u64;
        let (l, r): (Vec<$left>, Vec<$right>) = match feed {
            Feed::Shuffled => (
                shuffle_within($l, |e| e.date_time, LATENESS_MS, 3 + seed),
                shuffle_within($r, |e| e.date_time, LATENESS_MS, 17 + seed),
            ),
            _ => ($l.to_vec(), $r.to_vec()),
        };
        match feed {
            Feed::Threads | Feed::Shuffled => std::thread::scope(|s| {
                s.spawn(|| {
                    for chunk in l.chunks(1000) {
                        left.submit_iter(chunk.iter().copied()).expect("left");
                    }
                    drop(left);
                });
                s.spawn(|| {
                    for chunk in r.chunks(1000) {
                        right.submit_iter(chunk.iter().copied()).expect("right");
                    }
                    drop(right);
                });
            }),
            Feed::Interleaved => {
                // A hundredth of each in turn: chunks of about one time
                // span, though the bids are 46 to each auction's 3.
                let lc: Vec<&[$left]> = l.chunks(l.len().div_ceil(100).max(1)).collect();
                let rc: Vec<&[$right]> = r.chunks(r.len().div_ceil(100).max(1)).collect();
                for i in 0..lc.len().max(rc.len()) {
                    if let Some(c) = lc.get(i) {
                        left.submit_iter(c.iter().copied()).expect("left");
                    }
                    if let Some(c) = rc.get(i) {
                        right.submit_iter(c.iter().copied()).expect("right");
                    }
                }
                drop((left, right));
            }
        }
        let mut out = Vec::new();
        let report = rt.finish_into(&mut out).expect("finish");
        assert_eq!(report.late(), 0, "{cores} cores, {feed:?}");
        out.sort_unstable();
        out
    }};
}

fn check_auctions_bids<P, O>(name: &str, pipeline: impl Fn() -> P, want: &[O])
where
    P: Pipeline<In = Either<Auction, Bid>, Out = O>,
    O: Ord + std::fmt::Debug + Send + 'static,
{
    let input = input();
    assert!(!want.is_empty(), "{name}: no rows");
    println!("{name}: {} rows", want.len());
    for cores in [1, 2, 4] {
        for feed in FEEDS {
            let got = run!(pipeline(), cores, feed, Auction: &input.auctions, Bid: &input.bids);
            assert_same(&got, want, &format!("{name} on {cores} cores, {feed:?}"));
        }
    }
}

/// Equal, or a short account of the first difference.
fn assert_same<O: PartialEq + std::fmt::Debug>(got: &[O], want: &[O], what: &str) {
    if got == want {
        return;
    }
    let first = got.iter().zip(want).position(|(g, w)| g != w);
    panic!(
        "{what}: {} rows, want {}; first difference at {first:?}: {:?} vs {:?}",
        got.len(),
        want.len(),
        first.map(|i| &got[i]),
        first.map(|i| &want[i]),
    );
}

#[test]
fn q9_gives_each_auctions_winning_bid() {
    let input = input();
    let want = reference_joins::q9(&input.auctions, &input.bids);
    assert!(
        want.len() > input.auctions.len() / 2,
        "most auctions are won"
    );
    check_auctions_bids("q9", nexmark_joins::q9, &want);
}

#[test]
fn q4_sums_winning_prices_per_category() {
    let input = input();
    let want = reference_joins::q4(&input.auctions, &input.bids);
    assert_eq!(want.len(), 5, "every category");
    check_auctions_bids("q4", nexmark_joins::q4, &want);
}

#[test]
fn q6_sums_each_sellers_last_ten_winning_prices() {
    let input = input();
    let want = reference_joins::q6(&input.auctions, &input.bids);
    assert!(want.iter().any(|r| r.2 == 10), "a seller has ten");
    check_auctions_bids("q6", nexmark_joins::q6, &want);
}

#[test]
fn q8_finds_persons_selling_in_the_window_they_joined() {
    let input = input();
    let want = reference_joins::q8(&input.persons, &input.auctions);
    assert!(want.len() > 10, "q8: {} rows", want.len());
    println!("q8: {} rows", want.len());
    for cores in [1, 2, 4] {
        for feed in FEEDS {
            let got = run!(nexmark_joins::q8(), cores, feed, Person: &input.persons, Auction: &input.auctions);
            assert_same(&got, &want, &format!("q8 on {cores} cores, {feed:?}"));
        }
    }
}

#[test]
fn q3_suggests_items_of_local_sellers_as_of_each_auction() {
    let input = input();
    let want = reference_joins::q3(&input.persons, &input.auctions);
    assert!(want.len() > 10, "q3: {} rows", want.len());
    println!("q3: {} rows", want.len());
    for cores in [1, 2, 4] {
        for feed in FEEDS {
            let got = run!(nexmark_joins::q3(), cores, feed, Auction: &input.auctions, Person: &input.persons);
            assert_same(&got, &want, &format!("q3 on {cores} cores, {feed:?}"));
        }
    }
}
