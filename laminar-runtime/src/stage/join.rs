//! The interval join: a left row `l` and a right row `r` of the same key
//! pair up when `r.ts` lies in `[l.ts + lower, l.ts + upper]`.
//!
//! Its input is both sides' records as one stream, each tagged with its
//! side ([`Either`]) and moved to its key's core by one exchange. Each key
//! keeps its rows of each side in a map ordered by time, so a row probes
//! the other side's rows by a range, not a scan. A row is kept while a row
//! of the other side not yet arrived (its time at or above the watermark)
//! could still pair with it: a left row until the watermark passes
//! `l.ts + upper`, a right row until it passes `r.ts - lower`. One ordered
//! index of those expiry times makes cleanup one sweep per watermark
//! advance, touching only the keys with rows to free, never a timer per
//! row and never waiting for new rows of the key. The watermark is the
//! lower of both sides' (the core's watermark and the exchange's), and an
//! input that is idle stops holding it back after its idle timeout, so an
//! idle side does not freeze cleanup.
//!
//! A pair's time is the later of its rows' times. In a left outer join, a
//! left row that expires without a pair is emitted once, alone, at its own
//! time. A row whose time is below the watermark is late: it goes to the
//! late output as its side (`Either::Left(l)` or `Either::Right(r)`, which
//! is the pipeline's input when both sides are inputs as submitted) and is
//! counted.

use std::collections::BTreeMap;
use std::hash::Hash;

use rustc_hash::FxHashMap;

use super::timed::Timed;
use crate::message::Timestamp;
use crate::operator::{Emit, Operator};
use crate::port::Either;

/// The right side's join key, of the left side's key type `K`: what makes
/// two sides keyed by different types one error at the join, naming both.
#[diagnostic::on_unimplemented(
    message = "the two sides of a join are keyed by different types: `{K}` and `{Self}`",
    label = "this side's join key is `{Self}`, the other side's is `{K}`",
    note = "both sides' last `key_by` must give one type: convert one of them, such as `key_by(|r| u64::from(r.id))`"
)]
pub trait JoinKey<K> {
    /// The key.
    fn into_key(self) -> K;
}

impl<K> JoinKey<K> for K {
    #[inline(always)]
    fn into_key(self) -> K {
        self
    }
}

/// How a join builds its results from a pair: [`Inner`] from both rows,
/// [`LeftOuter`] also from a left row alone.
pub trait PairFn<L, R>: Send + 'static {
    /// What it builds.
    type Out;
    /// Whether a left row without a pair is emitted.
    const OUTER: bool;
    /// The result of `l` with `r` (`None` only when [`OUTER`](Self::OUTER)).
    fn pair(&mut self, l: &L, r: Option<&R>) -> Option<Self::Out>;
}

/// An inner join's results: `f(l, r)` for each pair.
#[derive(Clone, Debug)]
pub struct Inner<F>(pub F);

impl<L, R, O, F: FnMut(&L, &R) -> O + Send + 'static> PairFn<L, R> for Inner<F> {
    type Out = O;
    const OUTER: bool = false;
    #[inline(always)]
    fn pair(&mut self, l: &L, r: Option<&R>) -> Option<O> {
        r.map(|r| (self.0)(l, r))
    }
}

/// A left outer join's results: `f(l, Some(r))` for each pair, and
/// `f(l, None)` for a left row that found none.
#[derive(Clone, Debug)]
pub struct LeftOuter<F>(pub F);

impl<L, R, O, F: FnMut(&L, Option<&R>) -> O + Send + 'static> PairFn<L, R> for LeftOuter<F> {
    type Out = O;
    const OUTER: bool = true;
    #[inline(always)]
    fn pair(&mut self, l: &L, r: Option<&R>) -> Option<O> {
        Some((self.0)(l, r))
    }
}

/// Routes both sides of a join by their keys: the left row by `KL`, the
/// right by `KR`, through the key groups, so that a key's rows of both
/// sides meet on one core.
#[derive(Clone, Debug)]
pub struct JoinRoute<KL, KR> {
    left: KL,
    right: KR,
    groups: crate::routing::KeyGroups,
}

impl<KL, KR> JoinRoute<KL, KR> {
    /// The route by `left` and `right`.
    pub fn new(left: KL, right: KR) -> Self {
        JoinRoute {
            left,
            right,
            groups: crate::routing::KeyGroups::DEFAULT,
        }
    }
}

impl<L, R, K, X, KL, KR> crate::Route<Either<L, R>> for JoinRoute<KL, KR>
where
    K: Hash,
    X: JoinKey<K>,
    KL: Fn(&L) -> K + Clone + Send + 'static,
    KR: Fn(&R) -> X + Clone + Send + 'static,
{
    #[inline]
    fn core_of(&mut self, event: &Either<L, R>, cores: usize) -> usize {
        match event {
            Either::Left(l) => self.groups.core_of_key(&(self.left)(l), cores),
            Either::Right(r) => self.groups.core_of_key(&(self.right)(r).into_key(), cores),
        }
    }
}

/// The rows one key keeps, by time and arrival.
struct Rows<L, R> {
    left: BTreeMap<(Timestamp, u64), (L, bool)>,
    right: BTreeMap<(Timestamp, u64), R>,
}

impl<L, R> Default for Rows<L, R> {
    fn default() -> Self {
        Rows {
            left: BTreeMap::new(),
            right: BTreeMap::new(),
        }
    }
}

/// An interval join of left rows `L` and right rows `R` keyed by `KL` and
/// `KR`, building each result with `F` (a [`PairFn`]).
pub struct IntervalJoin<L, R, K, KL, KR, F> {
    key_left: KL,
    key_right: KR,
    build: F,
    lower: i64,
    upper: i64,
    keys: FxHashMap<K, Rows<L, R>>,
    /// When rows of a key may be freed: the watermark above which none of
    /// a row pairs any more, and its key.
    expiry: BTreeMap<Timestamp, Vec<K>>,
    watermark: Timestamp,
    seq: u64,
    held: usize,
    peak: usize,
}

impl<L, R, K, KL: Clone, KR: Clone, F: Clone> Clone for IntervalJoin<L, R, K, KL, KR, F> {
    fn clone(&self) -> Self {
        IntervalJoin::new(
            self.key_left.clone(),
            self.key_right.clone(),
            self.build.clone(),
            self.lower,
            self.upper,
        )
    }
}

impl<L, R, K, KL, KR, F> core::fmt::Debug for IntervalJoin<L, R, K, KL, KR, F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IntervalJoin")
            .field("lower", &self.lower)
            .field("upper", &self.upper)
            .field("held", &self.held)
            .finish_non_exhaustive()
    }
}

impl<L, R, K, KL, KR, F> IntervalJoin<L, R, K, KL, KR, F> {
    /// The join of rows whose right time lies in `[left + lower, left +
    /// upper]` (milliseconds, `lower <= upper`).
    pub fn new(key_left: KL, key_right: KR, build: F, lower: i64, upper: i64) -> Self {
        IntervalJoin {
            key_left,
            key_right,
            build,
            lower,
            upper,
            keys: FxHashMap::default(),
            expiry: BTreeMap::new(),
            watermark: 0,
            seq: 0,
            held: 0,
            peak: 0,
        }
    }

    /// Rows held now, both sides.
    pub fn held(&self) -> usize {
        self.held
    }

    /// The most rows held at once.
    pub fn peak(&self) -> usize {
        self.peak
    }
}

/// `ts + d`, kept within the timestamps.
fn shift(ts: Timestamp, d: i64) -> Timestamp {
    if d >= 0 {
        ts.saturating_add(d.unsigned_abs())
    } else {
        ts.saturating_sub(d.unsigned_abs())
    }
}

impl<L, R, K, X, KL, KR, F> IntervalJoin<L, R, K, KL, KR, F>
where
    K: Hash + Eq + Clone,
    X: JoinKey<K>,
    KL: Fn(&L) -> K,
    KR: Fn(&R) -> X,
    F: PairFn<L, R>,
{
    fn keep(&mut self, key: K, at: Timestamp) {
        self.held += 1;
        self.peak = self.peak.max(self.held);
        self.expiry.entry(at).or_default().push(key);
    }

    fn on_left<E: Emit<Timed<F::Out>>>(&mut self, ts: Timestamp, l: L, out: &mut E) {
        let key = (self.key_left)(&l);
        let rows = self.keys.entry(key.clone()).or_default();
        let (from, to) = (shift(ts, self.lower), shift(ts, self.upper));
        let mut paired = false;
        for (&(rts, _), r) in rows.right.range((from, 0)..=(to, u64::MAX)) {
            paired = true;
            if let Some(value) = self.build.pair(&l, Some(r)) {
                out.emit(Timed {
                    ts: ts.max(rts),
                    value,
                });
            }
        }
        self.seq += 1;
        rows.left.insert((ts, self.seq), (l, paired));
        self.keep(key, shift(ts, self.upper));
    }

    fn on_right<E: Emit<Timed<F::Out>>>(&mut self, ts: Timestamp, r: R, out: &mut E) {
        let key = (self.key_right)(&r).into_key();
        let rows = self.keys.entry(key.clone()).or_default();
        // `l.ts + lower <= ts <= l.ts + upper`.
        let (from, to) = (shift(ts, -self.upper), shift(ts, -self.lower));
        for (&(lts, _), (l, paired)) in rows.left.range_mut((from, 0)..=(to, u64::MAX)) {
            *paired = true;
            if let Some(value) = self.build.pair(l, Some(&r)) {
                out.emit(Timed {
                    ts: ts.max(lts),
                    value,
                });
            }
        }
        self.seq += 1;
        rows.right.insert((ts, self.seq), r);
        self.keep(key, shift(ts, -self.lower));
    }

    /// Frees the rows no row to come can pair with; emits the unpaired
    /// left rows of an outer join.
    fn sweep<E: Emit<Timed<F::Out>>>(&mut self, watermark: Timestamp, out: &mut E) {
        let kept = self.expiry.split_off(&watermark);
        let due = core::mem::replace(&mut self.expiry, kept);
        for key in due.into_values().flatten() {
            let Some(rows) = self.keys.get_mut(&key) else {
                continue;
            };
            // Left rows with `ts + upper < watermark`.
            while let Some(entry) = rows.left.first_entry() {
                if shift(entry.key().0, self.upper) >= watermark {
                    break;
                }
                let ((ts, _), (l, paired)) = entry.remove_entry();
                self.held -= 1;
                if F::OUTER
                    && !paired
                    && let Some(value) = self.build.pair(&l, None)
                {
                    out.emit(Timed { ts, value });
                }
            }
            // Right rows with `ts - lower < watermark`.
            while let Some(entry) = rows.right.first_entry() {
                if shift(entry.key().0, -self.lower) >= watermark {
                    break;
                }
                entry.remove();
                self.held -= 1;
            }
            if rows.left.is_empty() && rows.right.is_empty() {
                self.keys.remove(&key);
            }
        }
    }
}

#[diagnostic::do_not_recommend]
impl<L, R, K, X, KL, KR, F> Operator for IntervalJoin<L, R, K, KL, KR, F>
where
    L: Send + 'static,
    R: Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
    X: JoinKey<K>,
    KL: Fn(&L) -> K + Send + 'static,
    KR: Fn(&R) -> X + Send + 'static,
    F: PairFn<L, R>,
{
    type In = Timed<Either<L, R>>;
    type Out = Timed<F::Out>;

    /// Its state is not in checkpoints yet: a run that keeps them stops
    /// here instead of restoring it empty.
    fn on_barrier<E: Emit<Self::Out>>(&mut self, _epoch: u64, out: &mut E) {
        crate::checkpoint::refuse("interval join", out);
    }

    #[inline]
    fn on_event<E: Emit<Timed<F::Out>>>(&mut self, event: Self::In, out: &mut E) {
        let ts = event.ts;
        if ts < self.watermark {
            out.emit_late(event.value);
            return;
        }
        match event.value {
            Either::Left(l) => self.on_left(ts, l, out),
            Either::Right(r) => self.on_right(ts, r, out),
        }
    }

    fn on_watermark<E: Emit<Timed<F::Out>>>(&mut self, watermark: Timestamp, out: &mut E) {
        if watermark > self.watermark {
            self.watermark = watermark;
            self.sweep(watermark, out);
        }
    }

    fn on_end<E: Emit<Timed<F::Out>>>(&mut self, out: &mut E) {
        // No row comes any more: an outer join's unpaired left rows go out.
        self.watermark = Timestamp::MAX;
        for (_, rows) in self.keys.drain() {
            if !F::OUTER {
                continue;
            }
            for ((ts, _), (l, paired)) in rows.left {
                if !paired && let Some(value) = self.build.pair(&l, None) {
                    out.emit(Timed { ts, value });
                }
            }
        }
        self.expiry.clear();
        self.held = 0;
    }
}
