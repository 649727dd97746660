//! The hand-written loops: each query as one loop over the bids, with
//! what state it needs in plain `FxHashMap`s. Their output is the one every
//! system is checked against.

use std::collections::VecDeque;
use std::sync::Arc;

use laminar_examples::nexmark::Bid;
use rustc_hash::FxHashMap;

use super::{Digest, Query, Row, SLIDE, WINDOW, q5_windows, q7_window};
use crate::nexmark::{q2_selects, to_euros};

/// Runs `query` over `bids` on the calling thread.
pub fn run(query: Query, bids: &Arc<[Bid]>) -> Option<Digest> {
    let mut out = Digest::default();
    match query {
        Query::Q0 => {
            for b in bids.iter() {
                out.add(b.row());
            }
        }
        Query::Q1 => {
            for b in bids.iter() {
                let euros = Bid {
                    price: to_euros(b.price),
                    ..*b
                };
                out.add(euros.row());
            }
        }
        Query::Q2 => {
            for b in bids.iter().filter(|b| q2_selects(b)) {
                out.add((b.auction, b.price).row());
            }
        }
        Query::Q5 => q5(bids, |start, counts| {
            for (&auction, &n) in counts {
                out.add((auction, start, n).row());
            }
        }),
        Query::Q7 => q7(bids, &mut out),
        Query::Q5Hot => q5(bids, |start, counts| {
            let most = counts.values().copied().max().unwrap_or(0);
            for (&auction, &n) in counts {
                if n == most {
                    out.add((start, start + WINDOW, auction, n).row());
                }
            }
        }),
        Query::Q7Highest => q7_highest(bids, &mut out),
    }
    Some(out)
}

/// q5 by panes: the bids come in time order, so the panes (a slide long)
/// are consecutive; each has its counts in one map, a bid counts once, in
/// its pane, and a window, once it has ended, is the sum of its five
/// panes. (Counting each bid in each of its five windows' maps instead
/// was about 0.75 times as fast.) Each window with bids is passed to
/// `window`: its start and its counts by auction.
fn q5(bids: &[Bid], mut window: impl FnMut(u64, &FxHashMap<u64, u64>)) {
    let mut panes: VecDeque<FxHashMap<u64, u64>> = VecDeque::new();
    // Start of `panes[0]`, and of the next window to emit.
    let (mut first, mut next) = (0, 0);
    let mut pool: Vec<FxHashMap<u64, u64>> = Vec::new();
    let mut sum: FxHashMap<u64, u64> = FxHashMap::default();
    let per = (WINDOW / SLIDE) as usize;
    let mut emit = |panes: &mut VecDeque<FxHashMap<u64, u64>>,
                    pool: &mut Vec<FxHashMap<u64, u64>>,
                    first: &mut u64,
                    next: &mut u64| {
        // Window `next` is the panes from `next` on, `per` of them (fewer
        // near the first pane).
        let skip = (next.saturating_sub(*first) / SLIDE) as usize;
        let take = per - (first.saturating_sub(*next) / SLIDE) as usize;
        for pane in panes.iter().skip(skip).take(take) {
            for (&auction, &n) in pane {
                *sum.entry(auction).or_insert(0) += n;
            }
        }
        if !sum.is_empty() {
            window(*next, &sum);
        }
        sum.clear();
        *next += SLIDE;
        while *first < *next && !panes.is_empty() {
            let mut p = panes.pop_front().expect("not empty");
            p.clear();
            pool.push(p);
            *first += SLIDE;
        }
    };
    for b in bids {
        let t = b.date_time;
        while !panes.is_empty() && next + WINDOW <= t {
            emit(&mut panes, &mut pool, &mut first, &mut next);
        }
        let pane = t - t % SLIDE;
        if panes.is_empty() {
            first = pane;
            next = q5_windows(t).next().expect("a time is in a window");
        }
        assert!(pane >= first, "bids are in time order");
        let i = ((pane - first) / SLIDE) as usize;
        while panes.len() <= i {
            panes.push_back(pool.pop().unwrap_or_default());
        }
        *panes[i].entry(b.auction).or_insert(0) += 1;
    }
    while !panes.is_empty() {
        emit(&mut panes, &mut pool, &mut first, &mut next);
    }
}

/// q7: bids come in time order, so one window is open at a time, its
/// maxima in one map.
fn q7(bids: &[Bid], out: &mut Digest) {
    let mut maxima: FxHashMap<u64, u64> = FxHashMap::default();
    let (mut start, mut end) = (0, 0);
    for b in bids {
        if b.date_time >= end {
            assert!(b.date_time >= start, "bids are in time order");
            for (&auction, &max) in &maxima {
                out.add((auction, start, max).row());
            }
            maxima.clear();
            start = q7_window(b.date_time);
            end = start + WINDOW;
        }
        let m = maxima.entry(b.auction).or_insert(b.price);
        *m = (*m).max(b.price);
    }
    for (&auction, &max) in &maxima {
        out.add((auction, start, max).row());
    }
}

/// q7 whole: bids come in time order, so one window is open at a time,
/// with one running maximum.
fn q7_highest(bids: &[Bid], out: &mut Digest) {
    let (mut start, mut end) = (0, 0);
    let mut max: Option<u64> = None;
    for b in bids {
        if b.date_time >= end {
            assert!(b.date_time >= start, "bids are in time order");
            if let Some(m) = max.take() {
                out.add((start, end, m).row());
            }
            start = q7_window(b.date_time);
            end = start + WINDOW;
        }
        max = Some(max.map_or(b.price, |m| m.max(b.price)));
    }
    if let Some(m) = max {
        out.add((start, end, m).row());
    }
}
