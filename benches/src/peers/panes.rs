//! Aligned windows by panes, for the peers that have no such windows of
//! their own (timely) or whose windows cannot be aligned (renoir): the
//! same algorithm as the hand loop's q5, with the panes looked up by their
//! start, since the input of several workers interleaves.

use rustc_hash::FxHashMap;

use super::WINDOW;

/// One core's windows [`WINDOW`] long, sliding by a slide, aligned to time
/// 0, of an aggregate of `u64` values per auction. Each value is folded
/// into its pane (a slide long); a window is its panes merged.
#[derive(Clone, Debug)]
pub struct Panes {
    slide: u64,
    init: u64,
    fold: fn(&mut u64, u64),
    merge: fn(&mut u64, u64),
    panes: Vec<Pane>,
    pool: Vec<FxHashMap<u64, u64>>,
    merged: FxHashMap<u64, u64>,
    /// The earliest window not emitted yet.
    next: u64,
}

#[derive(Clone, Debug)]
struct Pane {
    start: u64,
    accs: FxHashMap<u64, u64>,
}

impl Panes {
    /// Windows sliding by `slide` (a divisor of [`WINDOW`]; [`WINDOW`] for
    /// tumbling ones), each auction's aggregate starting at `init`, a value
    /// folded in with `fold` and panes merged with `merge`.
    pub fn new(slide: u64, init: u64, fold: fn(&mut u64, u64), merge: fn(&mut u64, u64)) -> Self {
        assert_eq!(WINDOW % slide, 0, "the slide divides the window");
        Panes {
            slide,
            init,
            fold,
            merge,
            panes: Vec::new(),
            pool: Vec::new(),
            merged: FxHashMap::default(),
            next: 0,
        }
    }

    /// Folds `value` of `auction` at time `t` into its pane; returns the
    /// pane's start if the pane is new. `t` must not be in a window already
    /// emitted.
    #[inline]
    pub fn add(&mut self, auction: u64, value: u64, t: u64) -> Option<u64> {
        let start = t - t % self.slide;
        let (i, new) = match self.panes.iter().rposition(|p| p.start == start) {
            Some(i) => (i, false),
            None => {
                self.panes.push(Pane {
                    start,
                    accs: self.pool.pop().unwrap_or_default(),
                });
                (self.panes.len() - 1, true)
            }
        };
        (self.fold)(
            self.panes[i].accs.entry(auction).or_insert(self.init),
            value,
        );
        new.then_some(start)
    }

    /// The start and end of the earliest window not yet emitted that
    /// contains a pane, if any.
    pub fn next_window(&mut self) -> Option<(u64, u64)> {
        let earliest = self.panes.iter().map(|p| p.start).min()?;
        self.next = self
            .next
            .max((earliest + self.slide).saturating_sub(WINDOW));
        Some((self.next, self.next + WINDOW))
    }

    /// Emits the window [`next_window`](Self::next_window) gave, as
    /// `(auction, window start, aggregate)`, and frees the panes that no
    /// later window contains.
    pub fn emit_next(&mut self, mut emit: impl FnMut((u64, u64, u64))) {
        let (start, end) = self.next_window().expect("a window to emit");
        for pane in self.panes.iter().filter(|p| p.start < end) {
            if self.slide == WINDOW {
                // The window is this one pane.
                for (&auction, &acc) in &pane.accs {
                    emit((auction, start, acc));
                }
            } else {
                for (&auction, &acc) in &pane.accs {
                    (self.merge)(self.merged.entry(auction).or_insert(self.init), acc);
                }
            }
        }
        for (auction, acc) in self.merged.drain() {
            emit((auction, start, acc));
        }
        self.next = start + self.slide;
        let next = self.next;
        let pool = &mut self.pool;
        self.panes.retain_mut(|p| {
            if p.start >= next {
                return true;
            }
            let mut accs = std::mem::take(&mut p.accs);
            accs.clear();
            pool.push(accs);
            false
        });
    }

    /// q5's: a count per auction and window.
    pub fn counts(slide: u64) -> Self {
        Panes::new(slide, 0, |n, _| *n += 1, |n, m| *n += m)
    }

    /// q7's: the highest price per auction and window.
    pub fn maxima(slide: u64) -> Self {
        fn max(a: &mut u64, b: u64) {
            *a = (*a).max(b);
        }
        Panes::new(slide, 0, max, max)
    }

    /// The slide, a pane's length.
    pub fn slide(&self) -> u64 {
        self.slide
    }

    /// The start of the earliest pane kept, if any.
    pub fn earliest(&self) -> Option<u64> {
        self.panes.iter().map(|p| p.start).min()
    }
}
