//! The stream-table join: one side is a table, kept from a changelog
//! stream (the latest value per key, with deletes); each row of the other
//! side, the stream, is joined with the table's value for its key *as of
//! the row's time*: the latest change whose time is at or before the
//! row's. Because a change may arrive after a row of a later time (the
//! input is out of order within its lateness), a row waits until the
//! watermark passes its time, when no change at or before it can come any
//! more; then it is joined and emitted, at its own time (the later of the
//! two, since the change is not later). Each key keeps the change in force
//! at the watermark and those after it: older ones no row can ask for, and
//! they are freed as the watermark passes them, in one sweep per advance
//! over the keys that have more than one.
//!
//! Like the other joins, its input is both sides tagged ([`Either`]: the
//! stream left, the table right) after one exchange by key. A row or a
//! change below the watermark is late: it goes to the late output as its
//! side and is counted.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hash;

use rustc_hash::{FxHashMap, FxHashSet};

use super::join::PairFn;
use super::timed::Timed;
use crate::message::Timestamp;
use crate::operator::{Emit, Operator};
use crate::port::Either;

/// A change to a table: a key's new value, or its deletion.
///
/// ```
/// use laminar_runtime::stage::{Change, Changelog};
/// let set: Change<u64, &str> = Change::Upsert(7, "seven");
/// assert_eq!(*set.key(), 7);
/// assert_eq!(set.into_value(), Some("seven"));
/// assert_eq!(Change::<u64, &str>::Delete(7).into_value(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change<K, V> {
    /// The key's value is now this.
    Upsert(K, V),
    /// The key has no value any more.
    Delete(K),
}

impl<K, V> Change<K, V> {
    /// The key changed.
    pub fn key(&self) -> &K {
        match self {
            Change::Upsert(k, _) | Change::Delete(k) => k,
        }
    }
}

/// A table's changelog record: what the table side of a stream-table join
/// reads. [`Change`] is one.
#[diagnostic::on_unimplemented(
    message = "the table side of a stream-table join reads changes, and `{Self}` is not a changelog record",
    label = "this table's rows are not changes",
    note = "map the table's rows to `laminar::Change::Upsert(key, value)` (and `Change::Delete(key)` for deletions) before its `key_by`"
)]
pub trait Changelog: Send + 'static {
    /// The table's values.
    type Value;
    /// The new value, or `None` for a deletion.
    fn into_value(self) -> Option<Self::Value>;
}

impl<K: Send + 'static, V: Send + 'static> Changelog for Change<K, V> {
    type Value = V;
    fn into_value(self) -> Option<V> {
        match self {
            Change::Upsert(_, v) => Some(v),
            Change::Delete(_) => None,
        }
    }
}

/// A stream-table join of stream rows `L` with the table of changes `T`,
/// keyed by `KL` and `KR`, building results with `F` (a [`PairFn`], given
/// the table's value, or `None` when the key has none in a left join).
pub struct TableJoin<L, T: Changelog, K, KL, KR, F> {
    key_left: KL,
    key_right: KR,
    build: F,
    /// Each key's changes by time: the one in force at the watermark and
    /// those after it.
    table: FxHashMap<K, BTreeMap<Timestamp, Option<T::Value>>>,
    /// Keys with more than one change, to prune at the next sweep.
    prune: FxHashSet<K>,
    /// Stream rows waiting for the watermark to pass their time.
    waiting: BTreeSet<(Timestamp, u64)>,
    rows: FxHashMap<u64, (K, L)>,
    watermark: Timestamp,
    seq: u64,
}

impl<L, T: Changelog, K, KL: Clone, KR: Clone, F: Clone> Clone for TableJoin<L, T, K, KL, KR, F> {
    fn clone(&self) -> Self {
        TableJoin::new(
            self.key_left.clone(),
            self.key_right.clone(),
            self.build.clone(),
        )
    }
}

impl<L, T: Changelog, K, KL, KR, F> core::fmt::Debug for TableJoin<L, T, K, KL, KR, F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TableJoin")
            .field("waiting", &self.waiting.len())
            .field("keys", &self.table.len())
            .finish_non_exhaustive()
    }
}

impl<L, T: Changelog, K, KL, KR, F> TableJoin<L, T, K, KL, KR, F> {
    /// The join.
    pub fn new(key_left: KL, key_right: KR, build: F) -> Self {
        TableJoin {
            key_left,
            key_right,
            build,
            table: FxHashMap::default(),
            prune: FxHashSet::default(),
            waiting: BTreeSet::new(),
            rows: FxHashMap::default(),
            watermark: 0,
            seq: 0,
        }
    }

    /// Stream rows waiting for the watermark.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Changes kept, over all keys.
    pub fn changes(&self) -> usize {
        self.table.values().map(BTreeMap::len).sum()
    }
}

impl<L, T, K, X, KL, KR, F> TableJoin<L, T, K, KL, KR, F>
where
    X: super::join::JoinKey<K>,
    T: Changelog,
    K: Hash + Eq + Clone,
    KL: Fn(&L) -> K,
    KR: Fn(&T) -> X,
    F: PairFn<L, T::Value>,
{
    /// Joins and emits the rows the watermark passed; frees the changes no
    /// row can ask for any more.
    fn advance<E: Emit<Timed<F::Out>>>(&mut self, watermark: Timestamp, out: &mut E) {
        while let Some(&(ts, seq)) = self.waiting.first() {
            if ts >= watermark {
                break;
            }
            self.waiting.pop_first();
            let Some((key, row)) = self.rows.remove(&seq) else {
                continue;
            };
            let value = self
                .table
                .get(&key)
                .and_then(|changes| changes.range(..=ts).next_back())
                .and_then(|(_, v)| v.as_ref());
            if (value.is_some() || F::OUTER)
                && let Some(result) = self.build.pair(&row, value)
            {
                out.emit(Timed { ts, value: result });
            }
        }
        // Rows to come are at or above the watermark: the change in force
        // just below it is the oldest any of them can ask for.
        for key in core::mem::take(&mut self.prune) {
            let Some(changes) = self.table.get_mut(&key) else {
                continue;
            };
            let newer = changes.split_off(&watermark);
            let in_force = changes.pop_last();
            *changes = newer;
            if let Some((ts, value)) = in_force {
                changes.insert(ts, value);
            }
            match changes.first_key_value() {
                None => {
                    self.table.remove(&key);
                }
                Some((_, None)) if changes.len() == 1 => {
                    // Deleted, and nothing after it: the key is gone.
                    self.table.remove(&key);
                }
                _ if changes.len() > 1 => {
                    self.prune.insert(key);
                }
                _ => {}
            }
        }
    }
}

#[diagnostic::do_not_recommend]
impl<L, T, K, X, KL, KR, F> Operator for TableJoin<L, T, K, KL, KR, F>
where
    X: super::join::JoinKey<K>,
    L: Send + 'static,
    T: Changelog,
    T::Value: Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
    KL: Fn(&L) -> K + Send + 'static,
    KR: Fn(&T) -> X + Send + 'static,
    F: PairFn<L, T::Value>,
{
    type In = Timed<Either<L, T>>;
    type Out = Timed<F::Out>;

    /// Its state is not in checkpoints yet: a run that keeps them stops
    /// here instead of restoring it empty.
    fn on_barrier<E: Emit<Self::Out>>(&mut self, _epoch: u64, out: &mut E) {
        crate::checkpoint::refuse("table join", out);
    }

    #[inline]
    fn on_event<E: Emit<Timed<F::Out>>>(&mut self, event: Self::In, out: &mut E) {
        let ts = event.ts;
        if ts < self.watermark {
            out.emit_late(event.value);
            return;
        }
        match event.value {
            Either::Left(row) => {
                let key = (self.key_left)(&row);
                self.seq += 1;
                self.waiting.insert((ts, self.seq));
                self.rows.insert(self.seq, (key, row));
            }
            Either::Right(change) => {
                let key = super::join::JoinKey::into_key((self.key_right)(&change));
                let changes = self.table.entry(key.clone()).or_default();
                changes.insert(ts, change.into_value());
                if changes.len() > 1 {
                    self.prune.insert(key);
                }
            }
        }
    }

    fn on_watermark<E: Emit<Timed<F::Out>>>(&mut self, watermark: Timestamp, out: &mut E) {
        if watermark > self.watermark {
            self.watermark = watermark;
            self.advance(watermark, out);
        }
    }

    fn on_end<E: Emit<Timed<F::Out>>>(&mut self, out: &mut E) {
        self.watermark = Timestamp::MAX;
        self.advance(Timestamp::MAX, out);
    }
}
