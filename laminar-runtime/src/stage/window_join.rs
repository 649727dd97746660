//! The window join: left and right rows of the same key in the same
//! tumbling or sliding window pair up, every left row with every right
//! row, when the window fires (the watermark passes its end). A pair
//! carries the window's last millisecond, `end - 1`, as a window's result
//! does. Like the interval join ([`super::join`]), its input is both sides
//! tagged ([`Either`]) after one exchange by key; a window's rows are freed
//! when it fires, in one sweep per watermark advance over the windows
//! ordered by end. A row whose every window has fired is late: it goes to
//! the late output as its side and is counted.

use std::collections::BTreeMap;
use std::hash::Hash;

use rustc_hash::FxHashMap;

use super::timed::Timed;
use crate::message::Timestamp;
use crate::operator::{Emit, Operator};
use crate::port::Either;
use crate::window::geometry::Geometry;

/// One window's rows of one key.
struct Pane<L, R> {
    left: Vec<L>,
    right: Vec<R>,
}

impl<L, R> Default for Pane<L, R> {
    fn default() -> Self {
        Pane {
            left: Vec::new(),
            right: Vec::new(),
        }
    }
}

/// A window join over windows of geometry `G`.
pub struct WindowJoin<L, R, K, KL, KR, F, G> {
    key_left: KL,
    key_right: KR,
    build: F,
    geometry: G,
    /// By window end, then key.
    windows: BTreeMap<Timestamp, FxHashMap<K, Pane<L, R>>>,
    watermark: Timestamp,
    held: usize,
    peak: usize,
}

impl<L, R, K, KL: Clone, KR: Clone, F: Clone, G: Copy> Clone for WindowJoin<L, R, K, KL, KR, F, G> {
    fn clone(&self) -> Self {
        WindowJoin::new(
            self.key_left.clone(),
            self.key_right.clone(),
            self.build.clone(),
            self.geometry,
        )
    }
}

impl<L, R, K, KL, KR, F, G> core::fmt::Debug for WindowJoin<L, R, K, KL, KR, F, G> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WindowJoin")
            .field("held", &self.held)
            .finish_non_exhaustive()
    }
}

impl<L, R, K, KL, KR, F, G> WindowJoin<L, R, K, KL, KR, F, G> {
    /// The join over windows of `geometry`.
    pub fn new(key_left: KL, key_right: KR, build: F, geometry: G) -> Self {
        WindowJoin {
            key_left,
            key_right,
            build,
            geometry,
            windows: BTreeMap::new(),
            watermark: 0,
            held: 0,
            peak: 0,
        }
    }

    /// Rows held now, both sides, counted once per window they are in.
    pub fn held(&self) -> usize {
        self.held
    }

    /// The most rows held at once.
    pub fn peak(&self) -> usize {
        self.peak
    }
}

impl<L, R, K, X, KL, KR, F, G, O> WindowJoin<L, R, K, KL, KR, F, G>
where
    X: super::join::JoinKey<K>,
    L: Clone,
    R: Clone,
    K: Hash + Eq,
    KL: Fn(&L) -> K,
    KR: Fn(&R) -> X,
    F: FnMut(&L, &R) -> O,
    G: Geometry,
{
    /// The ends of the windows that hold `ts` and have not fired.
    fn ends(
        &self,
        ts: Timestamp,
    ) -> impl Iterator<Item = Timestamp> + use<L, R, K, X, KL, KR, F, G, O> {
        let (size, slide) = (self.geometry.size(), self.geometry.slide());
        let last_start = ts - ts % slide;
        let watermark = self.watermark;
        (0..size.div_ceil(slide))
            .filter_map(move |i| last_start.checked_sub(i * slide))
            .map(move |start| start + size)
            .filter(move |&end| end > ts && end > watermark)
    }

    fn fire<E: Emit<Timed<O>>>(&mut self, watermark: Timestamp, out: &mut E) {
        // Windows whose end is at or below the watermark.
        let open = self.windows.split_off(&watermark.saturating_add(1));
        let due = core::mem::replace(&mut self.windows, open);
        for (end, keys) in due {
            for (_, pane) in keys {
                self.held -= pane.left.len() + pane.right.len();
                for l in &pane.left {
                    for r in &pane.right {
                        out.emit(Timed {
                            ts: end - 1,
                            value: (self.build)(l, r),
                        });
                    }
                }
            }
        }
    }
}

#[diagnostic::do_not_recommend]
impl<L, R, K, X, KL, KR, F, G, O> Operator for WindowJoin<L, R, K, KL, KR, F, G>
where
    X: super::join::JoinKey<K>,
    L: Clone + Send + 'static,
    R: Clone + Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
    KL: Fn(&L) -> K + Send + 'static,
    KR: Fn(&R) -> X + Send + 'static,
    F: FnMut(&L, &R) -> O + Send + 'static,
    G: Geometry,
{
    type In = Timed<Either<L, R>>;
    type Out = Timed<O>;

    /// Its state is not in checkpoints yet: a run that keeps them stops
    /// here instead of restoring it empty.
    fn on_barrier<E: Emit<Self::Out>>(&mut self, _epoch: u64, out: &mut E) {
        crate::checkpoint::refuse("window join", out);
    }

    #[inline]
    fn on_event<E: Emit<Timed<O>>>(&mut self, event: Self::In, out: &mut E) {
        let ts = event.ts;
        let windows = self.ends(ts).count();
        if windows == 0 {
            out.emit_late(event.value);
            return;
        }
        let ends = self.ends(ts);
        match event.value {
            Either::Left(l) => {
                let key = (self.key_left)(&l);
                let mut l = Some(l);
                for (i, end) in ends.enumerate() {
                    let row = if i + 1 == windows {
                        l.take()
                    } else {
                        l.clone()
                    };
                    if let Some(row) = row {
                        let panes = self.windows.entry(end).or_default();
                        panes.entry(key.clone()).or_default().left.push(row);
                        self.held += 1;
                    }
                }
            }
            Either::Right(r) => {
                let key = super::join::JoinKey::into_key((self.key_right)(&r));
                let mut r = Some(r);
                for (i, end) in ends.enumerate() {
                    let row = if i + 1 == windows {
                        r.take()
                    } else {
                        r.clone()
                    };
                    if let Some(row) = row {
                        let panes = self.windows.entry(end).or_default();
                        panes.entry(key.clone()).or_default().right.push(row);
                        self.held += 1;
                    }
                }
            }
        }
        self.peak = self.peak.max(self.held);
    }

    fn on_watermark<E: Emit<Timed<O>>>(&mut self, watermark: Timestamp, out: &mut E) {
        if watermark > self.watermark {
            self.watermark = watermark;
            self.fire(watermark, out);
        }
    }

    fn on_end<E: Emit<Timed<O>>>(&mut self, out: &mut E) {
        self.watermark = Timestamp::MAX;
        self.fire(Timestamp::MAX, out);
    }
}
