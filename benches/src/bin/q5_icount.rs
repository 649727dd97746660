//! Runs Nexmark q5 (bids per auction per 10 s window sliding by 2 s) over
//! 1M bids on one thread, four ways, for callgrind to count instructions:
//! `valgrind --tool=callgrind --toggle-collect='*q5_icount*WAY*'
//! target/release/q5_icount`, WAY one of `chain` (one core's fused q5
//! chain, a watermark every 64 events as an input handle sends them, into
//! a counting sink), `hand` (a hand-written loop computing the same result
//! the fast way: one `FxHashMap` per 2 s pane, each window the merge of
//! its five panes: the reference the goal is set against), `per_window`
//! (the plainer loop: one map per open window, each bid counted in the
//! five windows that hold it) or `key_ring` (key-major: one map from
//! auction to its counts in the last five panes). All four always run and
//! their results must agree; the toggle picks which one is counted. Bid
//! generation is outside them.

use std::hint::black_box;

use laminar_benches::nexmark::drive_chain;
use laminar_examples::nexmark::{Bid, DEFAULT_RATE, bids, q5};
use rustc_hash::FxHashMap;

const N: usize = 1_000_000;
const SIZE: u64 = 10_000;
const SLIDE: u64 = 2_000;
/// Panes (of one slide) per window.
const PANES: u64 = SIZE / SLIDE;

type Digest = laminar_benches::nexmark::Digest<SIZE>;

/// One core's q5 chain over `bids`, watermarks as an input handle sends
/// them.
#[inline(never)]
fn chain(bids: &[Bid]) -> Digest {
    let mut out = Digest::default();
    drive_chain(&q5(), bids, &mut out);
    out
}

/// Bids come in time order, so when a bid's pane `n` follows pane `c`, the
/// windows that end by `n`'s start are complete: they are emitted, each as
/// the merge of its panes, and the panes no open window holds are cleared.
/// Pane `p` lives in `panes[p % PANES]`.
#[inline]
fn close_panes(
    panes: &mut [FxHashMap<u64, u64>; PANES as usize],
    merged: &mut FxHashMap<u64, u64>,
    out: &mut Digest,
    c: u64,
    n: u64,
) {
    if n < PANES {
        return;
    }
    // Windows `w` (panes `w .. w + PANES`) not yet emitted hold pane `c`
    // or a later one: `w > c - PANES`.
    let first = (c + 1).saturating_sub(PANES);
    let last = c.min(n - PANES);
    for w in first..=last {
        for p in w..=c.min(w + PANES - 1) {
            for (&auction, &count) in &panes[(p % PANES) as usize] {
                *merged.entry(auction).or_insert(0) += count;
            }
        }
        for (auction, count) in merged.drain() {
            out.add(auction, w * SLIDE, count);
        }
    }
    for p in first..=last {
        panes[(p % PANES) as usize].clear();
    }
}

/// The same result by hand, the fast way: one map per 2 s pane.
#[inline(never)]
fn hand(bids: &[Bid]) -> Digest {
    let mut out = Digest::default();
    let mut panes: [FxHashMap<u64, u64>; PANES as usize] = Default::default();
    let mut merged: FxHashMap<u64, u64> = FxHashMap::default();
    let mut cur: Option<u64> = None;
    for b in bids {
        let n = b.date_time / SLIDE;
        match cur {
            Some(c) if c == n => {}
            Some(c) => {
                assert!(n > c, "bids are in time order");
                close_panes(&mut panes, &mut merged, &mut out, c, n);
                cur = Some(n);
            }
            None => cur = Some(n),
        }
        *panes[(n % PANES) as usize].entry(b.auction).or_insert(0) += 1;
    }
    if let Some(c) = cur {
        close_panes(&mut panes, &mut merged, &mut out, c, c + PANES);
    }
    out
}

/// The same result by the plainer hand loop: one map per open window
/// (window `w` starts at `w * SLIDE`, in `open[w % PANES]`), each bid
/// counted in every window that holds it.
#[inline(never)]
fn per_window(bids: &[Bid]) -> Digest {
    let mut out = Digest::default();
    let mut open: [FxHashMap<u64, u64>; PANES as usize] = Default::default();
    // Windows `next ..` are not yet emitted; the newest bid's pane is `cur`.
    let mut next = 0;
    let mut cur = None;
    let emit = |open: &mut [FxHashMap<u64, u64>; PANES as usize], w: u64, out: &mut Digest| {
        for (auction, count) in open[(w % PANES) as usize].drain() {
            out.add(auction, w * SLIDE, count);
        }
    };
    for b in bids {
        let n = b.date_time / SLIDE;
        if cur != Some(n) {
            if let Some(c) = cur {
                assert!(n > c, "bids are in time order");
            } else {
                next = (n + 1).saturating_sub(PANES);
            }
            // Windows ending by this pane's start are complete.
            while next + PANES <= n {
                emit(&mut open, next, &mut out);
                next += 1;
            }
            cur = Some(n);
        }
        for w in (n + 1).saturating_sub(PANES)..=n {
            *open[(w % PANES) as usize].entry(b.auction).or_insert(0) += 1;
        }
    }
    if let Some(c) = cur {
        for w in next..=c {
            emit(&mut open, w, &mut out);
        }
    }
    out
}

/// Moving from pane `c` to pane `n`, as in [`close_panes`], for
/// [`key_ring`]: each window that ends is summed from every auction's ring,
/// after which the window's first pane is in no open window and its slot is
/// cleared; an auction whose ring is all zeros is dropped.
#[inline]
fn close_rings(
    counts: &mut FxHashMap<u64, [u64; PANES as usize]>,
    out: &mut Digest,
    c: u64,
    n: u64,
) {
    if n < PANES {
        return;
    }
    let first = (c + 1).saturating_sub(PANES);
    let last = c.min(n - PANES);
    for w in first..=last {
        counts.retain(|&auction, ring| {
            let count: u64 = (w..=c.min(w + PANES - 1))
                .map(|p| ring[(p % PANES) as usize])
                .sum();
            if count > 0 {
                out.add(auction, w * SLIDE, count);
            }
            ring[(w % PANES) as usize] = 0;
            ring.iter().any(|&x| x != 0)
        });
    }
}

/// The same result by a key-major hand loop, specialised to counts over
/// five panes: one map from auction to its counts in the last five panes
/// (pane `p` at `p % PANES`), one lookup per bid, and each window summed
/// from the rings without merging maps.
#[inline(never)]
fn key_ring(bids: &[Bid]) -> Digest {
    let mut out = Digest::default();
    let mut counts: FxHashMap<u64, [u64; PANES as usize]> = FxHashMap::default();
    let mut cur: Option<u64> = None;
    for b in bids {
        let n = b.date_time / SLIDE;
        match cur {
            Some(c) if c == n => {}
            Some(c) => {
                assert!(n > c, "bids are in time order");
                close_rings(&mut counts, &mut out, c, n);
                cur = Some(n);
            }
            None => cur = Some(n),
        }
        counts.entry(b.auction).or_insert([0; PANES as usize])[(n % PANES) as usize] += 1;
    }
    if let Some(c) = cur {
        close_rings(&mut counts, &mut out, c, c + PANES);
    }
    out
}

fn main() {
    let input = bids(N, DEFAULT_RATE);
    let c = chain(black_box(&input));
    let h = hand(black_box(&input));
    assert_eq!(c, h, "the q5 chain and the pane loop disagree");
    let w = per_window(black_box(&input));
    assert_eq!(c, w, "the q5 chain and the per-window loop disagree");
    let r = key_ring(black_box(&input));
    assert_eq!(c, r, "the q5 chain and the key-ring loop disagree");
    println!(
        "q5 over {N} bids: {} results, digest {:#x}",
        c.results, c.sum
    );
}
