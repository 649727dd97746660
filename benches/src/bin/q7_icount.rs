//! Runs Nexmark q7 (max price per auction per 10 s tumbling window) over 1M
//! bids on one thread, two ways, for callgrind to count instructions:
//! `valgrind --tool=callgrind --toggle-collect='*q7_icount*WAY*'
//! target/release/q7_icount`, WAY one of `chain` (one core's fused q7
//! chain, a watermark every 64 events as an input handle sends them, into
//! a counting sink) or `hand` (a hand-written loop computing the same
//! result); or q7 whole, the max price per window over all bids:
//! `all_window` (`window_all`) or `all_loop` (by hand). All four always
//! run, and each pair's results must agree; the toggle picks which one is
//! counted. Bid generation is outside them.

use std::hint::black_box;

use laminar::prelude::*;
use laminar_benches::nexmark::drive_chain;
use laminar_examples::nexmark::{Bid, DEFAULT_RATE, bids, q7};
use rustc_hash::FxHashMap;

const N: usize = 1_000_000;
const WINDOW: u64 = 10_000;

type Digest = laminar_benches::nexmark::Digest<WINDOW>;

/// One core's q7 chain over `bids`, watermarks as an input handle sends
/// them.
#[inline(never)]
fn chain(bids: &[Bid]) -> Digest {
    let mut out = Digest::default();
    drive_chain(&q7(), bids, &mut out);
    out
}

/// The same result by hand: bids come in time order, so one window is
/// open at a time, its maxima in one map.
#[inline(never)]
fn hand(bids: &[Bid]) -> Digest {
    let mut out = Digest::default();
    let mut maxima: FxHashMap<u64, u64> = FxHashMap::default();
    let (mut start, mut end) = (0, 0);
    for b in bids {
        if b.date_time >= end {
            assert!(b.date_time >= start, "bids are in time order");
            for (&auction, &max) in &maxima {
                out.add(auction, start, max);
            }
            maxima.clear();
            start = b.date_time - b.date_time % WINDOW;
            end = start + WINDOW;
        }
        let m = maxima.entry(b.auction).or_insert(b.price);
        *m = (*m).max(b.price);
    }
    for (&auction, &max) in &maxima {
        out.add(auction, start, max);
    }
    out
}

/// q7 whole, over all bids: `window_all`, driven as `chain` is.
#[inline(never)]
fn all_window(bids: &[Bid]) -> Digest {
    let p = stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> window_all(tumbling(10s))
        -> aggregate(max(|b| b.price))
    };
    let mut out = Digest::default();
    drive_chain(&p, bids, &mut out);
    out
}

/// The same by hand: one running max per window.
#[inline(never)]
fn all_loop(bids: &[Bid]) -> Digest {
    let mut out = Digest::default();
    let mut window: Option<(u64, u64)> = None;
    let (mut start, mut end) = (0, 0);
    for b in bids {
        if b.date_time >= end {
            assert!(b.date_time >= start, "bids are in time order");
            if let Some((s, m)) = window.take() {
                out.add(0, s, m);
            }
            start = b.date_time - b.date_time % WINDOW;
            end = start + WINDOW;
        }
        match &mut window {
            Some((_, m)) => *m = (*m).max(b.price),
            None => window = Some((start, b.price)),
        }
    }
    if let Some((s, m)) = window {
        out.add(0, s, m);
    }
    out
}

fn main() {
    let input = bids(N, DEFAULT_RATE);
    let c = chain(black_box(&input));
    let h = hand(black_box(&input));
    assert_eq!(c, h, "the q7 chain and the hand loop disagree");
    println!(
        "q7 over {N} bids: {} results, digest {:#x}",
        c.results, c.sum
    );
    let w = all_window(black_box(&input));
    let l = all_loop(black_box(&input));
    assert_eq!(w, l, "window_all and its hand loop disagree");
    println!("q7 whole: {} results, digest {:#x}", w.results, w.sum);
}
