//! Tumbling and sliding windows, per key, kept as panes.
//!
//! A window of `size` starting every `slide` is the union of panes of
//! `gcd(size, slide)`: each event is added to exactly one pane (one hash
//! lookup), and a window's result is the merge of its panes when it fires.
//! A tumbling window is a sliding one with `slide == size`: one pane per
//! window, and no merge at all. The durations are a [`Geometry`]: constants
//! when they were literals, so that the arithmetic below divides by
//! constants only (see [`geometry`](super::geometry)).
//!
//! Panes are numbered (pane `n` starts at `n * pane`) and kept in a ring
//! (a `VecDeque`) sorted by number, with a gap of up to `FILL` (64) panes
//! between two of them filled with empty panes, so that in a stream with
//! events in every few panes the ring holds consecutive numbers and pane
//! `n` is at index `n - first`: found in O(1), with no search. (A pane
//! beyond a larger gap, such as one far in the future, is found by binary
//! search.) An event in the same pane as the one before it, the common
//! case, does not even look there: that pane's accumulators are held
//! outside the ring, in the operator itself, for as long as events keep
//! coming to it on time (see [`AlignedWindow`]'s `hot`).
//!
//! A pane is freed once every window that contains it is past its end plus
//! the allowed lateness; its map goes back to a pool, so in steady state no
//! window allocates. The pool is bounded so that memory falls back after a
//! burst of keys: it keeps at most about twice as many spare maps as there
//! were panes in use, reuses them oldest first, and a map that comes back
//! holding far fewer keys than it has room for (see `room::oversized`) is
//! shrunk to what it held. A map sized by a burst is thus given back after
//! its next use.

use core::marker::PhantomData;
use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use super::aggregate::Aggregate;
use super::geometry::Geometry;
use super::{EmitPolicy, Windowed};
use crate::key::{Key, KeyOf};
use crate::message::Timestamp;
use crate::operator::{Emit, Operator};
use crate::room::oversized;
use crate::routing::{KeyGroups, key_hash};
use crate::state::StateError;
use crate::state::codec::{decode_plain, encode_plain};
use crate::time::Clock;

/// The largest gap between two panes that is filled with empty panes to
/// keep the ring's numbers consecutive. An empty pane holds no map memory
/// (a map allocates on its first key), only its slot in the ring.
const FILL: u64 = 64;

/// Whether `K` is `()`, so that a pane keeps one accumulator and not a
/// map; a constant once monomorphised.
#[inline(always)]
fn is_unit<K: 'static>() -> bool {
    core::any::TypeId::of::<K>() == core::any::TypeId::of::<()>()
}

/// The one key `()`, as `K`, when `K` is `()`.
#[inline(always)]
fn unit_key<K: 'static>() -> Option<&'static K> {
    (&() as &'static dyn core::any::Any).downcast_ref::<K>()
}

/// One pane's accumulators by key; the pane's number is kept beside them.
struct Accs<K, Acc> {
    /// The accumulators by key; empty when the key type is `()`.
    map: FxHashMap<K, Acc>,
    /// The one accumulator when the key type is `()` (`window_all`): no
    /// hash lookup per event.
    unit: Option<Acc>,
}

impl<K: Key, Acc> Accs<K, Acc> {
    /// Nothing, and no memory.
    #[inline]
    fn empty() -> Self {
        Accs {
            map: FxHashMap::default(),
            unit: None,
        }
    }

    /// The accumulator of `key`, if any.
    fn get(&self, key: &K) -> Option<&Acc> {
        if is_unit::<K>() {
            self.unit.as_ref()
        } else {
            self.map.get(key)
        }
    }

    /// Every key's accumulator.
    fn iter(&self) -> impl Iterator<Item = (&K, &Acc)> {
        let unit = unit_key::<K>().zip(self.unit.as_ref());
        self.map.iter().chain(unit)
    }

    /// Adds `event` to `key`'s accumulator. A map with no room yet takes a
    /// spare one from `pool` before its first key.
    #[inline(always)]
    fn add<T, A: Aggregate<T, Acc = Acc>>(
        &mut self,
        agg: &A,
        pool: &mut VecDeque<FxHashMap<K, Acc>>,
        key: K,
        event: &T,
        ts: Timestamp,
    ) {
        if is_unit::<K>() {
            match &mut self.unit {
                Some(acc) => agg.add(acc, event, ts),
                unit @ None => {
                    let mut acc = agg.create();
                    agg.add(&mut acc, event, ts);
                    *unit = Some(acc);
                }
            }
            return;
        }
        match self.map.get_mut(&key) {
            Some(acc) => agg.add(acc, event, ts),
            None => self.insert(agg, pool, key, event, ts),
        }
    }

    /// [`Accs::add`] for a key not in the map yet: out of line, so that
    /// the hot loop around `add` stays small.
    #[inline(never)]
    fn insert<T, A: Aggregate<T, Acc = Acc>>(
        &mut self,
        agg: &A,
        pool: &mut VecDeque<FxHashMap<K, Acc>>,
        key: K,
        event: &T,
        ts: Timestamp,
    ) {
        if self.map.capacity() == 0
            && let Some(spare) = pool.pop_front()
        {
            self.map = spare;
        }
        let mut acc = agg.create();
        agg.add(&mut acc, event, ts);
        self.map.insert(key, acc);
    }
}

/// Watermarks over which the pool's size follows the most panes in use.
const PEAK_SPAN: u32 = 256;

struct Pane<K, Acc> {
    /// Its number: it starts at `no * pane`.
    no: u64,
    accs: Accs<K, Acc>,
}

/// The pane the last on-time event went to, while its accumulators are
/// held in [`AlignedWindow::hot`]: the next event with a timestamp in
/// `start .. start + len` goes there with no division, no pane lookup and
/// no check of the watermark.
#[derive(Clone, Copy, Debug)]
struct Current {
    /// The pane's start.
    start: Timestamp,
    /// The pane's length (less at the very end of time, where
    /// `start + pane` would overflow), or 0 when no pane is held: an event
    /// is in it if `ts - start < len`, wrapping.
    len: Timestamp,
    /// The pane's number.
    no: u64,
}

impl Current {
    const NONE: Current = Current {
        start: 0,
        len: 0,
        no: 0,
    };
}

/// The aligned-window operator: `window(tumbling(..))` or
/// `window(sliding(..))` followed by `aggregate(..)`, its durations `G`
/// (see [`Geometry`]).
///
/// A window is kept until the watermark reaches its end plus the allowed
/// lateness; after that its result is final. An event is:
///
/// - on time if every window that contains it is kept: it counts in all;
/// - late if none is: it goes to [`Emit::emit_late`];
/// - partly late (sliding only) if its earlier windows are final and its
///   later ones kept: it counts in the kept ones and goes to
///   [`Emit::emit_partly_late`], so that no event is left out of a result
///   unreported. A tumbling window holds each event in one window, so an
///   event there is on time or late.
pub struct AlignedWindow<T, KF: KeyOf<T>, C, A: Aggregate<T>, G> {
    key: KF,
    clock: C,
    agg: A,
    geometry: G,
    lateness: Timestamp,
    emit: EmitPolicy,
    /// The panes, by number ascending (see the module's docs).
    panes: VecDeque<Pane<KF::Key, A::Acc>>,
    /// Spare maps, reused oldest first so that each comes back, and is
    /// shrunk if oversized, within a few panes.
    pool: VecDeque<FxHashMap<KF::Key, A::Acc>>,
    /// The most panes in use at a watermark, over this stretch of
    /// [`PEAK_SPAN`] watermarks and the one before: how many spares the
    /// pool keeps. A stretch, not the latest count: watermarks that come
    /// in bursts (across an exchange, the lowest of every core's) make the
    /// count swing, and a pool trimmed to its low points reallocates at
    /// every high one.
    peak: (usize, usize),
    /// Watermarks seen in this stretch.
    advances: u32,
    scratch: FxHashMap<KF::Key, A::Acc>,
    /// Which pane's accumulators are in `hot`.
    current: Current,
    /// The accumulators of pane `current.no` while `current.len > 0`; its
    /// slot in `panes` then holds empty ones (this field's, swapped). An
    /// event goes here only if none of the pane's windows has fired yet
    /// (and never under `OnUpdate`), so that it needs no check at all; the
    /// pane is put back before anything else reads the panes.
    hot: Accs<KF::Key, A::Acc>,
    watermark: Timestamp,
    /// A watermark below this changes nothing: no window ends and no pane
    /// is freed before it. At most the end of the earliest window not yet
    /// fired that holds an event, and the first pane's release
    /// (`retain_until`). (Panes that only fill a gap hold no event.)
    next_due: Timestamp,
    /// Its name in checkpoints, given when it opens.
    name: String,
    /// After recovery, per restored key, the watermark of the core that
    /// wrote it: that key's windows ending there or before fired in the
    /// run before, and must not fire again (a window ending later
    /// fires as usual). Empty otherwise, and once the watermark passes
    /// them all.
    fired: FxHashMap<KF::Key, Timestamp>,
    /// The highest of `fired`.
    fired_until: Timestamp,
    _events: PhantomData<fn(T)>,
}

// By hand, without bounds: the key and clock are the user's closures, and
// the open panes are shown by their count only.
impl<T, KF: KeyOf<T>, C, A: Aggregate<T>, G: Geometry> core::fmt::Debug
    for AlignedWindow<T, KF, C, A, G>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AlignedWindow")
            .field("size", &self.geometry.size())
            .field("slide", &self.geometry.slide())
            .field("lateness", &self.lateness)
            .field("emit", &self.emit)
            .field("panes", &self.panes.len())
            .field("watermark", &self.watermark)
            .finish_non_exhaustive()
    }
}

impl<T, KF: KeyOf<T>, C: Clock<T>, A: Aggregate<T>, G: Geometry> AlignedWindow<T, KF, C, A, G> {
    /// Windows of `geometry`'s size every its slide, state kept `lateness`
    /// past each window's end.
    pub fn new(
        key: KF,
        clock: C,
        agg: A,
        geometry: G,
        lateness: Timestamp,
        emit: EmitPolicy,
    ) -> Self {
        AlignedWindow {
            key,
            clock,
            agg,
            geometry,
            lateness,
            emit,
            panes: VecDeque::new(),
            pool: VecDeque::new(),
            peak: (0, 0),
            advances: 0,
            scratch: FxHashMap::default(),
            current: Current::NONE,
            hot: Accs::empty(),
            watermark: 0,
            next_due: Timestamp::MAX,
            name: String::new(),
            fired: FxHashMap::default(),
            fired_until: 0,
            _events: PhantomData,
        }
    }

    // The arithmetic, in pane numbers: pane `n` is `[n * pane, (n + 1) *
    // pane)`; window `w` starts at `w * slide` and holds panes `w * k ..
    // w * k + m`, where `k` and `m` are the panes per slide and per
    // window. With `Fixed` durations every divisor below is a constant.

    /// The number of the pane holding `ts`.
    #[inline(always)]
    fn pane_of(&self, ts: Timestamp) -> u64 {
        ts / self.geometry.pane()
    }

    /// The end of window `w` (saturating at the end of time).
    #[inline(always)]
    fn window_end(&self, w: u64) -> Timestamp {
        (w * self.geometry.slide()).saturating_add(self.geometry.size())
    }

    /// The earliest window that holds pane `n`. Windows start at 0 or
    /// later, so near 0 it may be the pane's only window.
    #[inline(always)]
    fn first_window(&self, n: u64) -> u64 {
        let below = self.geometry.panes_per_window() - 1;
        n.saturating_sub(below)
            .div_ceil(self.geometry.panes_per_slide())
    }

    /// The last window that holds pane `n`.
    #[inline(always)]
    fn last_window(&self, n: u64) -> u64 {
        n / self.geometry.panes_per_slide()
    }

    /// The first and last panes of window `w` (the last saturating at the
    /// end of time, past which there are no panes).
    #[inline(always)]
    fn panes_of(&self, w: u64) -> (u64, u64) {
        let first = w * self.geometry.panes_per_slide();
        (
            first,
            first.saturating_add(self.geometry.panes_per_window() - 1),
        )
    }

    /// The watermark at or past which pane `n` can be freed: the last
    /// window containing it has ended and its lateness has passed.
    #[inline(always)]
    fn retain_until(&self, n: u64) -> Timestamp {
        self.window_end(self.last_window(n))
            .saturating_add(self.lateness)
    }

    /// Where pane `n` is in `panes`: `Ok(index)`, or `Err(index)` where it
    /// would go.
    #[inline]
    fn find(&self, n: u64) -> Result<usize, usize> {
        let Some(first) = self.panes.front().map(|p| p.no) else {
            return Err(0);
        };
        let Some(offset) = n.checked_sub(first) else {
            return Err(0);
        };
        // Consecutive numbers up to `n`: it is at its offset.
        if let Ok(i) = usize::try_from(offset)
            && let Some(p) = self.panes.get(i)
            && p.no == n
        {
            return Ok(i);
        }
        let at = self.panes.partition_point(|p| p.no < n);
        match self.panes.get(at) {
            Some(p) if p.no == n => Ok(at),
            _ => Err(at),
        }
    }

    /// The index of the first pane numbered `n` or more.
    #[inline]
    fn first_from(&self, n: u64) -> usize {
        match self.find(n) {
            Ok(i) | Err(i) => i,
        }
    }

    /// Index of pane `n`, made if missing (with empty panes filling a gap
    /// of up to [`FILL`] to its neighbours).
    fn pane_index(&mut self, n: u64) -> usize {
        let at = match self.find(n) {
            Ok(i) => return i,
            Err(at) => at,
        };
        let below = at.checked_sub(1).map(|i| self.panes[i].no);
        let above = self.panes.get(at).map(|p| p.no);
        let lo = match below {
            Some(b) if n - b - 1 <= FILL => b + 1,
            _ => n,
        };
        let hi = match above {
            Some(a) if a - n - 1 <= FILL => a - 1,
            _ => n,
        };
        for (i, no) in (lo..=hi).enumerate() {
            self.panes.insert(
                at + i,
                Pane {
                    no,
                    accs: Accs::empty(),
                },
            );
        }
        let after = at + (hi - lo) as usize + 1;
        debug_assert!(
            self.panes
                .range(at.saturating_sub(1)..(after + 1).min(self.panes.len()))
                .zip(self.panes.range(at.saturating_sub(1) + 1..))
                .all(|(a, b)| a.no < b.no),
            "panes in order, each once"
        );
        at + (n - lo) as usize
    }

    /// Moves pane `n` (at `index`) into `hot`, so that the next events in
    /// it take the fast path.
    #[inline]
    fn hold(&mut self, index: usize, n: u64) {
        core::mem::swap(&mut self.panes[index].accs, &mut self.hot);
        let start = n * self.geometry.pane();
        self.current = Current {
            start,
            len: self
                .geometry
                .pane()
                .min((Timestamp::MAX - start).saturating_add(1)),
            no: n,
        };
    }

    /// Puts the held pane back into `panes`, if one is held.
    #[inline]
    fn put_back(&mut self) {
        if self.current.len == 0 {
            return;
        }
        let no = self.current.no;
        self.current = Current::NONE;
        if let Ok(i) = self.find(no) {
            core::mem::swap(&mut self.panes[i].accs, &mut self.hot);
        }
    }

    /// The value of window `w` for `key` alone, merged over its panes.
    fn value_for(&self, key: &KF::Key, w: u64) -> Option<A::Out> {
        let (lo, last) = self.panes_of(w);
        let mut acc: Option<A::Acc> = None;
        let from = self.first_from(lo);
        for pane in self.panes.range(from..).take_while(|p| p.no <= last) {
            if let Some(a) = pane.accs.get(key) {
                let into = acc.get_or_insert_with(|| self.agg.create());
                self.agg.merge(into, a);
            }
        }
        acc.map(|a| self.agg.finish(&a))
    }

    /// Emits every key's value of window `w`, whose first pane is at
    /// `from`.
    fn fire<E: Emit<Windowed<KF::Key, A::Out>>>(&mut self, w: u64, from: usize, out: &mut E) {
        let start = w * self.geometry.slide();
        let end = self.window_end(w);
        if self.geometry.panes_per_window() == 1 {
            for (k, acc) in self.panes[from].accs.iter() {
                if self.fired_before(k, end) {
                    continue;
                }
                out.emit(Windowed {
                    key: k.clone(),
                    start,
                    end,
                    value: self.agg.finish(acc),
                });
            }
            return;
        }
        let (_, last) = self.panes_of(w);
        for pane in self.panes.range(from..).take_while(|p| p.no <= last) {
            for (k, a) in pane.accs.iter() {
                match self.scratch.get_mut(k) {
                    Some(into) => self.agg.merge(into, a),
                    None => {
                        let mut into = self.agg.create();
                        self.agg.merge(&mut into, a);
                        self.scratch.insert(k.clone(), into);
                    }
                }
            }
        }
        let keys = self.scratch.len();
        let fired = &self.fired;
        for (key, acc) in self.scratch.drain() {
            if fired.get(&key).is_some_and(|&f| end <= f) {
                continue;
            }
            out.emit(Windowed {
                key,
                start,
                end,
                value: self.agg.finish(&acc),
            });
        }
        if oversized(self.scratch.capacity(), keys) {
            self.scratch.shrink_to(keys);
        }
    }

    /// Whether `key`'s window ending at `end` fired in the run this one
    /// recovered from.
    #[inline]
    fn fired_before(&self, key: &KF::Key, end: Timestamp) -> bool {
        !self.fired.is_empty() && self.fired.get(key).is_some_and(|&f| end <= f)
    }

    /// `on_event` for an event outside the held pane (or with none held):
    /// every check.
    #[inline(never)]
    fn on_event_checked<E: Emit<Windowed<KF::Key, A::Out>>>(
        &mut self,
        event: T,
        ts: Timestamp,
        out: &mut E,
    ) where
        T: 'static,
    {
        self.put_back();
        let n = self.pane_of(ts);
        // A recovered key is as far in time as the core that wrote it was.
        let watermark = if self.fired.is_empty() {
            self.watermark
        } else {
            let key = self.key.key(&event);
            self.fired
                .get(&key)
                .map_or(self.watermark, |&f| f.max(self.watermark))
        };
        if watermark >= self.retain_until(n) {
            out.emit_late(event);
            return;
        }
        let index = self.pane_index(n);
        let first = self.first_window(n);
        let first_end = self.window_end(first);
        // The pane now holds an event: its first window may end, or it may
        // be the first pane to free, before anything `next_due` knew of.
        // (If that window has fired, the next watermark finds the next
        // one.)
        self.next_due = self.next_due.min(first_end);
        let key = self.key.key(&event);
        if self.emit == EmitPolicy::OnClose && first_end > watermark && self.fired.is_empty() {
            // On time, and none of the pane's windows has fired: the pane
            // is held, and the next events in it need no check.
            self.hold(index, n);
            self.hot.add(&self.agg, &mut self.pool, key, &event, ts);
            return;
        }
        self.panes[index]
            .accs
            .add(&self.agg, &mut self.pool, key.clone(), &event, ts);
        // The earliest window holding the event ends first: if it has
        // fired, this is a late event within the lateness and the windows
        // that fired emit this key's new value (as does every window under
        // `OnUpdate`); if it is also past its lateness, it is final and the
        // event missed it.
        let refire = first_end <= watermark;
        let partly_late = first_end.saturating_add(self.lateness) <= watermark;
        if self.emit == EmitPolicy::OnUpdate || refire {
            for w in first..=self.last_window(n) {
                let end = self.window_end(w);
                // A window past its end plus the lateness is gone: its
                // earlier panes may be freed, so its value would be partial.
                if end.saturating_add(self.lateness) <= watermark {
                    continue;
                }
                if (self.emit == EmitPolicy::OnUpdate || end <= watermark)
                    && let Some(value) = self.value_for(&key, w)
                {
                    out.emit(Windowed {
                        key: key.clone(),
                        start: w * self.geometry.slide(),
                        end,
                        value,
                    });
                }
            }
        }
        if partly_late {
            out.emit_partly_late(event);
        }
    }

    /// Gives a freed pane's map to the pool, emptied, and shrunk if it
    /// held far fewer keys than it has room for.
    fn recycle(&mut self, mut map: FxHashMap<KF::Key, A::Acc>) {
        if map.capacity() == 0 {
            return;
        }
        let keys = map.len();
        map.clear();
        if oversized(map.capacity(), keys) {
            map.shrink_to(keys);
        }
        if map.capacity() > 0 {
            self.pool.push_back(map);
        }
    }
}

impl<T, KF: KeyOf<T>, C: Clone, A: Aggregate<T>, G: Geometry> Clone
    for AlignedWindow<T, KF, C, A, G>
{
    /// A fresh operator with the same settings and no state: what each
    /// core starts from.
    fn clone(&self) -> Self {
        AlignedWindow {
            key: self.key.clone(),
            clock: self.clock.clone(),
            agg: self.agg.clone(),
            geometry: self.geometry,
            lateness: self.lateness,
            emit: self.emit,
            panes: VecDeque::new(),
            pool: VecDeque::new(),
            peak: (0, 0),
            advances: 0,
            scratch: FxHashMap::default(),
            current: Current::NONE,
            hot: Accs::empty(),
            watermark: 0,
            next_due: Timestamp::MAX,
            name: String::new(),
            fired: FxHashMap::default(),
            fired_until: 0,
            _events: PhantomData,
        }
    }
}

#[diagnostic::do_not_recommend]
impl<T, KF, C, A, G> Operator for AlignedWindow<T, KF, C, A, G>
where
    T: Send + 'static,
    KF: KeyOf<T>,
    C: Clock<T>,
    A: Aggregate<T>,
    G: Geometry,
{
    type In = T;
    type Out = Windowed<KF::Key, A::Out>;

    /// Every open pane's accumulators by key, each with its pane's number
    /// and this core's watermark (see `fired`).
    fn on_barrier<E: Emit<Self::Out>>(&mut self, _epoch: u64, out: &mut E) {
        if out.checkpoint().is_none() {
            return;
        }
        self.put_back();
        let saved = self.save(out.checkpoint());
        if let Err(e) = saved {
            out.fail(e);
        }
    }

    // Always inlined, as the fused chain's own `on_event` is: what is
    // inlined is the fast path and a call to `on_event_checked`.
    #[inline(always)]
    fn on_event<E: Emit<Self::Out>>(&mut self, event: T, out: &mut E) {
        let ts = self.clock.timestamp(&event);
        // The common case: in the held pane, none of whose windows has
        // fired, so nothing to check and nothing to emit.
        if ts.wrapping_sub(self.current.start) < self.current.len {
            let key = self.key.key(&event);
            self.hot.add(&self.agg, &mut self.pool, key, &event, ts);
            return;
        }
        self.on_event_checked(event, ts, out);
    }

    #[inline]
    fn on_watermark<E: Emit<Self::Out>>(&mut self, watermark: Timestamp, out: &mut E) {
        if watermark <= self.watermark {
            return;
        }
        let old = self.watermark;
        self.watermark = watermark;
        // No window ends and no pane is freed: the held pane's windows, all
        // unfired, end at or after `next_due`, so it stays held.
        if watermark < self.next_due {
            return;
        }
        self.advance(old, out);
    }

    fn on_end<E: Emit<Self::Out>>(&mut self, out: &mut E) {
        self.on_watermark(Timestamp::MAX, out);
    }

    /// Takes the processing clock of whatever runs it (the clock reads
    /// event time unless it is processing time).
    fn open(&mut self, cx: &crate::operator::OpenContext) -> Result<(), crate::state::StateError> {
        self.clock.open(&cx.clock);
        self.name = cx.stage_name("window");
        let Some(restored) = cx.restored() else {
            return Ok(());
        };
        let types = crate::checkpoint::types_of::<KF::Key, A::Acc>();
        if let Some(section) = restored.stage(&self.name, &types)? {
            for (key, value) in section.raw(0) {
                self.restore_one(key, value)?;
            }
        }
        Ok(())
    }
}

impl<T, KF: KeyOf<T>, C: Clock<T>, A: Aggregate<T>, G: Geometry> AlignedWindow<T, KF, C, A, G> {
    /// Writes the panes to `snap`.
    fn save(&self, snap: Option<&mut crate::checkpoint::Snapshot>) -> Result<(), StateError> {
        let Some(snap) = snap else { return Ok(()) };
        let types = crate::checkpoint::types_of::<KF::Key, A::Acc>();
        let id = snap.stage(&self.name, &types);
        let (mut key, mut value) = (Vec::new(), Vec::new());
        for pane in &self.panes {
            for (k, acc) in pane.accs.iter() {
                key.clear();
                value.clear();
                // `()` (window_all's partials) is no key: group 0.
                let group = if is_unit::<KF::Key>() {
                    0
                } else {
                    if !encode_plain(k, &mut key) {
                        return Err(StateError::NotCheckpointable {
                            stage: "a window keyed by something other than a number, `bool` or `String`",
                        });
                    }
                    KeyGroups::DEFAULT.group_of_hash(key_hash(k))
                };
                value.extend_from_slice(&pane.no.to_le_bytes());
                value.extend_from_slice(&self.watermark.to_le_bytes());
                self.agg.save(acc, &mut value)?;
                snap.put(id, 0, group, &key, &value);
            }
        }
        Ok(())
    }

    /// Puts one restored accumulator back in its pane.
    fn restore_one(&mut self, key: &[u8], value: &[u8]) -> Result<(), StateError> {
        let bad = || StateError::BadSnapshot { at: 0 };
        let k: KF::Key = match unit_key::<KF::Key>() {
            Some(unit) => unit.clone(),
            None => decode_plain(key).ok_or_else(bad)??,
        };
        let (Some(no), Some(wm), Some(acc)) = (value.get(..8), value.get(8..16), value.get(16..))
        else {
            return Err(bad());
        };
        let no = u64::from_le_bytes(no.try_into().map_err(|_| bad())?);
        let writer = Timestamp::from_le_bytes(wm.try_into().map_err(|_| bad())?);
        let acc = self.agg.load(acc)?;
        let index = self.pane_index(no);
        let accs = &mut self.panes[index].accs;
        if is_unit::<KF::Key>() {
            match &mut accs.unit {
                Some(into) => self.agg.merge(into, &acc),
                slot @ None => *slot = Some(acc),
            }
        } else {
            match accs.map.get_mut(&k) {
                Some(into) => self.agg.merge(into, &acc),
                None => {
                    accs.map.insert(k.clone(), acc);
                }
            }
        }
        let first_end = self.window_end(self.first_window(no));
        self.next_due = self.next_due.min(first_end);
        // Some of this pane's windows fired where it was written.
        if first_end <= writer {
            let f = self.fired.entry(k).or_insert(0);
            *f = (*f).max(writer);
            self.fired_until = self.fired_until.max(writer);
        }
        Ok(())
    }
}

impl<T, KF: KeyOf<T>, C: Clock<T>, A: Aggregate<T>, G: Geometry> AlignedWindow<T, KF, C, A, G> {
    /// The watermark passed `next_due`, from `old`: fires, in order of
    /// their end, the windows ending in `(old, watermark]`, frees the panes
    /// past their lateness, and finds the next due time.
    #[inline(never)]
    fn advance<E: Emit<Windowed<KF::Key, A::Out>>>(&mut self, old: Timestamp, out: &mut E) {
        self.put_back();
        let watermark = self.watermark;
        let (size, slide) = (self.geometry.size(), self.geometry.slide());
        // The first window ending after `old`.
        let mut w = match old.checked_sub(size) {
            None => 0,
            Some(before) => before / slide + 1,
        };
        let mut next_due = Timestamp::MAX;
        while w <= Timestamp::MAX / slide {
            let (lo, last) = self.panes_of(w);
            let from = self.first_from(lo);
            let Some(no) = self.panes.get(from).map(|p| p.no) else {
                break;
            };
            if no > last {
                // Window `w` holds no pane: on to the first that holds
                // pane `no`, a later one.
                let next = self.first_window(no);
                debug_assert!(next > w, "window {w} skips to {next}");
                w = next;
                continue;
            }
            let end = self.window_end(w);
            if end > watermark {
                next_due = end;
                break;
            }
            self.fire(w, from, out);
            match w.checked_add(1) {
                Some(next) => w = next,
                None => break,
            }
        }
        if !self.fired.is_empty() && watermark >= self.fired_until {
            self.fired = FxHashMap::default();
        }
        let in_use = self.panes.len();
        while let Some(first) = self.panes.front().map(|p| p.no) {
            let until = self.retain_until(first);
            if until > watermark {
                next_due = next_due.min(until);
                break;
            }
            if let Some(pane) = self.panes.pop_front() {
                self.recycle(pane.accs.map);
            }
        }
        self.next_due = next_due;
        // Enough spares for the panes to come, as many as were in use over
        // the last stretches of watermarks and some slack; more would be
        // kept for nothing.
        self.peak.0 = self.peak.0.max(in_use);
        self.advances += 1;
        if self.advances >= PEAK_SPAN {
            self.advances = 0;
            self.peak = (in_use, self.peak.0);
        }
        let spares = 2 * self.peak.0.max(self.peak.1) + 4;
        if self.pool.len() > spares {
            self.pool.drain(..self.pool.len() - spares);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::KeyFn;
    use crate::time::EventTime;
    use crate::window::aggregate::Aggs;
    use crate::window::geometry::Dynamic;

    /// Emits results, late and partly late events into three vectors.
    struct Sink<O, L> {
        out: Vec<O>,
        late: Vec<L>,
        partly_late: Vec<L>,
    }

    impl<O, L> Default for Sink<O, L> {
        fn default() -> Self {
            Sink {
                out: Vec::new(),
                late: Vec::new(),
                partly_late: Vec::new(),
            }
        }
    }

    fn take<L: 'static, X: 'static>(x: X) -> Option<L> {
        let mut slot = Some(x);
        (&mut slot as &mut dyn core::any::Any)
            .downcast_mut::<Option<L>>()
            .and_then(Option::take)
    }

    impl<O, L: 'static> Emit<O> for Sink<O, L> {
        fn emit(&mut self, item: O) {
            self.out.push(item);
        }
        fn emit_late<X: 'static>(&mut self, late: X) {
            self.late.extend(take(late));
        }
        fn emit_partly_late<X: 'static>(&mut self, event: X) {
            self.partly_late.extend(take(event));
        }
    }

    type Ev = (u32, Timestamp, u64); // key, time, value

    fn op(
        size: u64,
        slide: u64,
        lateness: u64,
    ) -> AlignedWindow<
        Ev,
        impl KeyOf<Ev, Key = u32>,
        impl Clock<Ev>,
        impl Aggregate<Ev, Out = (u64, u64)>,
        Dynamic,
    > {
        let aggs = Aggs::<Ev>::new();
        AlignedWindow::new(
            KeyFn(|e: &Ev| e.0),
            EventTime::new(|e: &Ev| e.1, 0, None),
            (aggs.count(), aggs.sum(|e: &Ev| e.2)),
            Dynamic::new(size, slide),
            lateness,
            EmitPolicy::OnClose,
        )
    }

    #[test]
    fn tumbling_fires_on_watermark() {
        let mut w = op(10, 10, 0);
        let mut s = Sink::<_, Ev>::default();
        for e in [(1, 1, 5), (1, 9, 5), (2, 3, 1), (1, 10, 7)] {
            w.on_event(e, &mut s);
        }
        w.on_watermark(10, &mut s);
        s.out.sort();
        assert_eq!(
            s.out,
            [
                Windowed {
                    key: 1,
                    start: 0,
                    end: 10,
                    value: (2, 10)
                },
                Windowed {
                    key: 2,
                    start: 0,
                    end: 10,
                    value: (1, 1)
                },
            ]
        );
        s.out.clear();
        w.on_end(&mut s);
        assert_eq!(
            s.out,
            [Windowed {
                key: 1,
                start: 10,
                end: 20,
                value: (1, 7)
            }]
        );
    }

    #[test]
    fn sliding_windows_merge_panes() {
        let mut w = op(10, 5, 0);
        let mut s = Sink::<_, Ev>::default();
        for e in [(1, 2, 1), (1, 7, 10), (1, 12, 100)] {
            w.on_event(e, &mut s);
        }
        w.on_end(&mut s);
        assert_eq!(
            s.out,
            [
                Windowed {
                    key: 1,
                    start: 0,
                    end: 10,
                    value: (2, 11)
                },
                Windowed {
                    key: 1,
                    start: 5,
                    end: 15,
                    value: (2, 110)
                },
                Windowed {
                    key: 1,
                    start: 10,
                    end: 20,
                    value: (1, 100)
                },
            ]
        );
    }

    #[test]
    fn late_within_lateness_refires_and_later_goes_to_late_output() {
        let mut w = op(10, 10, 5);
        let mut s = Sink::<_, Ev>::default();
        w.on_event((1, 3, 1), &mut s);
        w.on_watermark(12, &mut s);
        assert_eq!(s.out.len(), 1);
        w.on_event((1, 4, 1), &mut s); // within lateness: re-fire
        assert_eq!(
            s.out[1],
            Windowed {
                key: 1,
                start: 0,
                end: 10,
                value: (2, 2)
            }
        );
        w.on_watermark(15, &mut s); // past end + lateness: state freed
        w.on_event((1, 5, 1), &mut s);
        assert_eq!(s.late, [(1, 5, 1)]);
        assert_eq!(s.out.len(), 2);
    }

    #[test]
    fn an_event_that_missed_a_final_window_is_partly_late() {
        let mut w = op(30, 10, 0);
        let mut s = Sink::<_, Ev>::default();
        w.on_event((1, 25, 1), &mut s);
        w.on_watermark(35, &mut s);
        // 25 is in [0, 30) (final at 35), [10, 40) and [20, 50) (open).
        w.on_event((1, 26, 1), &mut s);
        assert_eq!(
            (s.late.len(), s.partly_late.as_slice()),
            (0, &[(1, 26, 1)][..])
        );
        w.on_end(&mut s);
        let values: Vec<_> = s.out.iter().map(|o| (o.start, o.value.0)).collect();
        assert_eq!(values, [(0, 1), (10, 2), (20, 2)]);
        // At watermark 45, [10, 40) is final too; [20, 50) still open.
        let mut w = op(30, 10, 0);
        let mut s = Sink::<_, Ev>::default();
        w.on_event((1, 25, 1), &mut s);
        w.on_watermark(45, &mut s);
        w.on_event((1, 27, 1), &mut s);
        assert_eq!(s.partly_late, [(1, 27, 1)]);
        w.on_watermark(50, &mut s);
        w.on_event((1, 28, 1), &mut s);
        assert_eq!(s.late, [(1, 28, 1)], "every window final: late");
        assert_eq!(s.partly_late.len(), 1);
    }

    #[test]
    fn window_all_matches_one_constant_key() {
        // The `()` key keeps one accumulator per pane, not a map: it must
        // give what a keyed window gives with every event under one key,
        // late, refired and partly late events included.
        let events = [
            (0, 3, 1),
            (0, 12, 2),
            (0, 7, 4),
            (0, 25, 8),
            (0, 14, 16),
            (0, 2, 32),
            (0, 31, 64),
            (0, 26, 128),
        ];
        for (size, slide, lateness) in [(10, 10, 0), (10, 10, 5), (30, 10, 0), (10, 5, 3)] {
            let aggs = Aggs::<Ev>::new();
            let mut all = AlignedWindow::new(
                crate::key::AllKey,
                EventTime::new(|e: &Ev| e.1, 0, None),
                (aggs.count(), aggs.sum(|e: &Ev| e.2)),
                Dynamic::new(size, slide),
                lateness,
                EmitPolicy::OnClose,
            );
            let mut keyed = op(size, slide, lateness);
            let mut a = Sink::<_, Ev>::default();
            let mut k = Sink::<_, Ev>::default();
            for (n, e) in events.into_iter().enumerate() {
                all.on_event(e, &mut a);
                keyed.on_event(e, &mut k);
                if n % 2 == 1 {
                    all.on_watermark(e.1, &mut a);
                    keyed.on_watermark(e.1, &mut k);
                }
            }
            all.on_end(&mut a);
            keyed.on_end(&mut k);
            let a_out: Vec<_> = a.out.iter().map(|w| (w.start, w.end, w.value)).collect();
            let k_out: Vec<_> = k.out.iter().map(|w| (w.start, w.end, w.value)).collect();
            assert_eq!(
                a_out, k_out,
                "size {size} slide {slide} lateness {lateness}"
            );
            assert_eq!((a.late, a.partly_late), (k.late, k.partly_late));
        }
    }

    /// The numbers of the panes in the ring, in order.
    fn numbers<T, KF: KeyOf<T>, C, A: Aggregate<T>, G>(
        w: &AlignedWindow<T, KF, C, A, G>,
    ) -> Vec<u64> {
        w.panes.iter().map(|p| p.no).collect()
    }

    #[test]
    fn small_gaps_are_filled_and_large_ones_searched() {
        let mut w = op(10, 10, 0);
        let mut s = Sink::<_, Ev>::default();
        for ts in [0, 25, 51] {
            w.on_event((1, ts, 1), &mut s);
        }
        // Panes 0, 2 and 5, and the empty ones between: `n - first`.
        assert_eq!(numbers(&w), [0, 1, 2, 3, 4, 5]);
        for n in 0..=5 {
            assert_eq!(w.find(n), Ok(n as usize));
        }
        // A pane far ahead is not filled up to; found by binary search.
        let far = 10 * (6 + FILL + 10);
        w.on_event((1, far, 1), &mut s);
        w.on_event((1, 61, 1), &mut s);
        assert_eq!(numbers(&w), [0, 1, 2, 3, 4, 5, 6, far / 10]);
        assert_eq!(w.find(far / 10), Ok(7));
        assert_eq!(w.find(7), Err(7));
        w.on_end(&mut s);
        let starts: Vec<_> = s.out.iter().map(|o| (o.start, o.value.0)).collect();
        assert_eq!(starts, [(0, 1), (20, 1), (50, 1), (60, 1), (far, 1)]);
    }

    #[test]
    fn an_event_in_a_filled_pane_fires_on_time() {
        // Pane 1 is made empty, filling the gap up to pane 30; an event
        // landing there later must still fire its window at 20, before
        // pane 0 (kept until 21 by the lateness) is freed.
        let mut w = op(10, 10, 11);
        let mut s = Sink::<_, Ev>::default();
        w.on_event((1, 0, 1), &mut s);
        w.on_watermark(10, &mut s);
        w.on_event((1, 300, 1), &mut s);
        w.on_event((1, 10, 1), &mut s);
        w.on_watermark(20, &mut s);
        let fired: Vec<_> = s.out.iter().map(|o| (o.start, o.end)).collect();
        assert_eq!(fired, [(0, 10), (10, 20)]);
    }

    #[test]
    fn the_last_window_of_time_fires_once() {
        // A 1 ms window at `u64::MAX`: the window after it would be past
        // the end of time.
        let mut w = op(1, 1, 0);
        let mut s = Sink::<_, Ev>::default();
        w.on_event((1, Timestamp::MAX, 1), &mut s);
        w.on_event((1, 0, 1), &mut s);
        w.on_end(&mut s);
        let fired: Vec<_> = s.out.iter().map(|o| (o.start, o.end)).collect();
        assert_eq!(fired, [(0, 1), (Timestamp::MAX, Timestamp::MAX)]);
    }
}
