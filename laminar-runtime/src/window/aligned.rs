//! Tumbling and sliding windows, per key, kept as panes.
//!
//! A window of `size` starting every `slide` is the union of panes of
//! `gcd(size, slide)`: each event is added to exactly one pane (one hash
//! lookup), and a window's result is the merge of its panes when it fires.
//! A tumbling window is a sliding one with `slide == size`: one pane per
//! window, and no merge at all.
//!
//! Panes live in a deque sorted by start. A pane is freed once every window
//! that contains it is past its end plus the allowed lateness; its map goes
//! back to a pool, so in steady state no window allocates. The pool is
//! bounded so that memory falls back after a burst of keys: it keeps at
//! most about twice as many spare maps as there were panes in use, reuses
//! them oldest first, and a map that comes back holding far fewer keys
//! than it has room for (see `room::oversized`) is shrunk to
//! what it held. A map sized by a burst is thus given back after its next
//! use.

use core::marker::PhantomData;
use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use super::aggregate::Aggregate;
use super::{EmitPolicy, Windowed, gcd};
use crate::key::{Key, KeyOf};
use crate::message::Timestamp;
use crate::operator::{Emit, Operator};
use crate::room::oversized;
use crate::time::Clock;

struct Pane<K, Acc> {
    start: Timestamp,
    /// The accumulators by key; empty when the key type is `()`.
    accs: FxHashMap<K, Acc>,
    /// The one accumulator when the key type is `()` (`window_all`): no
    /// hash lookup per event.
    unit: Option<Acc>,
}

/// The one key `()`, as `K`, when `K` is `()`.
#[inline(always)]
fn unit_key<K: 'static>() -> Option<&'static K> {
    (&() as &'static dyn core::any::Any).downcast_ref::<K>()
}

impl<K: Key, Acc> Pane<K, Acc> {
    /// Whether `K` is `()`, so that the pane keeps `unit` and not `accs`;
    /// a constant once monomorphised.
    #[inline(always)]
    fn is_unit() -> bool {
        core::any::TypeId::of::<K>() == core::any::TypeId::of::<()>()
    }

    /// The accumulator of `key`, if any.
    fn get(&self, key: &K) -> Option<&Acc> {
        if Self::is_unit() {
            self.unit.as_ref()
        } else {
            self.accs.get(key)
        }
    }

    /// Every key's accumulator.
    fn iter(&self) -> impl Iterator<Item = (&K, &Acc)> {
        let unit = unit_key::<K>().zip(self.unit.as_ref());
        self.accs.iter().chain(unit)
    }
}

/// The pane the last on-time event went to, with what `on_event` derives
/// from its start, so that the next event in the same pane (events mostly
/// come in time order) needs no division and no pane lookup.
#[derive(Clone, Copy, Debug)]
struct Current {
    /// The pane's start.
    start: Timestamp,
    /// The pane's length, or 0 when there is no current pane: an event is
    /// in it if `ts - start < len`, wrapping.
    len: Timestamp,
    /// Its index in `panes`.
    index: usize,
    /// [`AlignedWindow::retain_until`] of it.
    retain: Timestamp,
    /// End of the earliest window that contains it.
    first_end: Timestamp,
    /// While the watermark is below this, an event in the pane is on time
    /// and emits nothing: `first_end` under `OnClose` (a window's end is at
    /// most its panes' `retain`), 0 under `OnUpdate`.
    quiet_until: Timestamp,
}

impl Current {
    const NONE: Current = Current {
        start: 0,
        len: 0,
        index: 0,
        retain: 0,
        first_end: 0,
        quiet_until: 0,
    };
}

/// The aligned-window operator: `window(tumbling(..))` or
/// `window(sliding(..))` followed by `aggregate(..)`.
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
pub struct AlignedWindow<T, KF: KeyOf<T>, C, A: Aggregate<T>> {
    key: KF,
    clock: C,
    agg: A,
    size: Timestamp,
    slide: Timestamp,
    pane: Timestamp,
    lateness: Timestamp,
    emit: EmitPolicy,
    panes: VecDeque<Pane<KF::Key, A::Acc>>,
    /// Spare maps, reused oldest first so that each comes back, and is
    /// shrunk if oversized, within a few panes.
    pool: VecDeque<FxHashMap<KF::Key, A::Acc>>,
    scratch: FxHashMap<KF::Key, A::Acc>,
    current: Current,
    watermark: Timestamp,
    _events: PhantomData<fn(T)>,
}

// By hand, without bounds: the key and clock are the user's closures, and
// the open panes are shown by their count only.
impl<T, KF: KeyOf<T>, C, A: Aggregate<T>> core::fmt::Debug for AlignedWindow<T, KF, C, A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AlignedWindow")
            .field("size", &self.size)
            .field("slide", &self.slide)
            .field("lateness", &self.lateness)
            .field("emit", &self.emit)
            .field("panes", &self.panes.len())
            .field("watermark", &self.watermark)
            .finish_non_exhaustive()
    }
}

impl<T, KF: KeyOf<T>, C: Clock<T>, A: Aggregate<T>> AlignedWindow<T, KF, C, A> {
    /// Windows of `size` every `slide` (both > 0, `slide <= size`), state
    /// kept `lateness` past each window's end.
    pub fn new(
        key: KF,
        clock: C,
        agg: A,
        size: Timestamp,
        slide: Timestamp,
        lateness: Timestamp,
        emit: EmitPolicy,
    ) -> Self {
        let size = size.max(1);
        let slide = slide.clamp(1, size);
        AlignedWindow {
            key,
            clock,
            agg,
            size,
            slide,
            pane: gcd(size, slide),
            lateness,
            emit,
            panes: VecDeque::new(),
            pool: VecDeque::new(),
            scratch: FxHashMap::default(),
            current: Current::NONE,
            watermark: 0,
            _events: PhantomData,
        }
    }

    /// The watermark at or past which pane `start` can be freed: the last
    /// window containing it has ended and its lateness has passed.
    fn retain_until(&self, start: Timestamp) -> Timestamp {
        (start - start % self.slide)
            .saturating_add(self.size)
            .saturating_add(self.lateness)
    }

    /// Index of the pane starting at `start`, made if missing.
    fn pane_index(&mut self, start: Timestamp) -> usize {
        match self.panes.iter().rposition(|p| p.start <= start) {
            Some(i) if self.panes[i].start == start => i,
            found => {
                let at = found.map_or(0, |i| i + 1);
                let accs = self.pool.pop_front().unwrap_or_default();
                self.panes.insert(
                    at,
                    Pane {
                        start,
                        accs,
                        unit: None,
                    },
                );
                at
            }
        }
    }

    /// Start of the earliest window that contains pane `start`. Windows
    /// start at 0 or later, so near 0 it may be the pane's only window.
    #[inline]
    fn first_window(&self, start: Timestamp) -> Timestamp {
        let lowest = (start + 1).saturating_sub(self.size);
        lowest.div_ceil(self.slide) * self.slide
    }

    /// Starts of the windows that contain pane `start`, ascending.
    fn windows_of(&self, start: Timestamp) -> impl Iterator<Item = Timestamp> + use<T, KF, C, A> {
        let last = start - start % self.slide;
        let first = self.first_window(start);
        let slide = self.slide;
        (first..=last).step_by(slide as usize)
    }

    /// The value of window `ws` for `key` alone, merged over its panes.
    fn value_for(&self, key: &KF::Key, ws: Timestamp) -> Option<A::Out> {
        let end = ws.saturating_add(self.size);
        let mut acc: Option<A::Acc> = None;
        for pane in self.panes.iter().filter(|p| p.start >= ws && p.start < end) {
            if let Some(a) = pane.get(key) {
                let into = acc.get_or_insert_with(|| self.agg.create());
                self.agg.merge(into, a);
            }
        }
        acc.map(|a| self.agg.finish(&a))
    }

    /// Emits every key's value of window `ws`.
    fn fire<E: Emit<Windowed<KF::Key, A::Out>>>(&mut self, ws: Timestamp, out: &mut E) {
        let end = ws.saturating_add(self.size);
        if self.size == self.pane {
            if let Some(pane) = self.panes.iter().find(|p| p.start == ws) {
                for (k, acc) in pane.iter() {
                    out.emit(Windowed {
                        key: k.clone(),
                        start: ws,
                        end,
                        value: self.agg.finish(acc),
                    });
                }
            }
            return;
        }
        for pane in self.panes.iter().filter(|p| p.start >= ws && p.start < end) {
            for (k, a) in pane.iter() {
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
        for (key, acc) in self.scratch.drain() {
            out.emit(Windowed {
                key,
                start: ws,
                end,
                value: self.agg.finish(&acc),
            });
        }
        if oversized(self.scratch.capacity(), keys) {
            self.scratch.shrink_to(keys);
        }
    }

    /// Adds an event to pane `index`'s accumulator for `key`.
    #[inline(always)]
    fn add(&mut self, index: usize, key: KF::Key, event: &T, ts: Timestamp) {
        let pane = &mut self.panes[index];
        if Pane::<KF::Key, A::Acc>::is_unit() {
            match &mut pane.unit {
                Some(acc) => self.agg.add(acc, event, ts),
                unit @ None => {
                    let mut acc = self.agg.create();
                    self.agg.add(&mut acc, event, ts);
                    *unit = Some(acc);
                }
            }
            return;
        }
        let accs = &mut pane.accs;
        match accs.get_mut(&key) {
            Some(acc) => self.agg.add(acc, event, ts),
            None => {
                let mut acc = self.agg.create();
                self.agg.add(&mut acc, event, ts);
                accs.insert(key, acc);
            }
        }
    }

    /// `on_event` for an event outside the current pane, or once a window
    /// of the current pane has fired (or under `OnUpdate`): every check.
    fn on_event_checked<E: Emit<Windowed<KF::Key, A::Out>>>(
        &mut self,
        event: T,
        ts: Timestamp,
        out: &mut E,
    ) where
        T: 'static,
    {
        let cur = self.current;
        if ts.wrapping_sub(cur.start) >= cur.len {
            // Not in the current pane: find (or make) its pane.
            let start = ts - ts % self.pane;
            let retain = self.retain_until(start);
            if self.watermark >= retain {
                out.emit_late(event);
                return;
            }
            let index = self.pane_index(start);
            let first_end = self.first_window(start).saturating_add(self.size);
            self.current = Current {
                start,
                len: self.pane,
                index,
                retain,
                first_end,
                quiet_until: if self.emit == EmitPolicy::OnUpdate {
                    0
                } else {
                    first_end
                },
            };
        } else if self.watermark >= cur.retain {
            out.emit_late(event);
            return;
        }
        let Current {
            start,
            index,
            first_end,
            ..
        } = self.current;
        let key = self.key.key(&event);
        self.add(index, key.clone(), &event, ts);
        // The earliest window holding the event ends first: if it has
        // fired, this is a late event within the lateness and the windows
        // that fired emit this key's new value (as does every window under
        // `OnUpdate`); if it is also past its lateness, it is final and the
        // event missed it.
        let refire = first_end <= self.watermark;
        let partly_late = first_end.saturating_add(self.lateness) <= self.watermark;
        if self.emit == EmitPolicy::OnUpdate || refire {
            for ws in self.windows_of(start) {
                let end = ws.saturating_add(self.size);
                // A window past its end plus the lateness is gone: its
                // earlier panes may be freed, so its value would be partial.
                if end.saturating_add(self.lateness) <= self.watermark {
                    continue;
                }
                if (self.emit == EmitPolicy::OnUpdate || end <= self.watermark)
                    && let Some(value) = self.value_for(&key, ws)
                {
                    out.emit(Windowed {
                        key: key.clone(),
                        start: ws,
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
}

impl<T, KF: KeyOf<T>, C: Clone, A: Aggregate<T>> Clone for AlignedWindow<T, KF, C, A> {
    /// A fresh operator with the same settings and no state: what each
    /// core starts from.
    fn clone(&self) -> Self {
        AlignedWindow {
            key: self.key.clone(),
            clock: self.clock.clone(),
            agg: self.agg.clone(),
            size: self.size,
            slide: self.slide,
            pane: self.pane,
            lateness: self.lateness,
            emit: self.emit,
            panes: VecDeque::new(),
            pool: VecDeque::new(),
            scratch: FxHashMap::default(),
            current: Current::NONE,
            watermark: 0,
            _events: PhantomData,
        }
    }
}

#[diagnostic::do_not_recommend]
impl<T, KF, C, A> Operator for AlignedWindow<T, KF, C, A>
where
    T: Send + 'static,
    KF: KeyOf<T>,
    C: Clock<T>,
    A: Aggregate<T>,
{
    type In = T;
    type Out = Windowed<KF::Key, A::Out>;

    #[inline]
    fn on_event<E: Emit<Self::Out>>(&mut self, event: T, out: &mut E) {
        let ts = self.clock.timestamp(&event);
        let cur = self.current;
        // The common case: in the current pane, and no window of it has
        // fired, so nothing to check and nothing to emit.
        if ts.wrapping_sub(cur.start) < cur.len && self.watermark < cur.quiet_until {
            let key = self.key.key(&event);
            self.add(cur.index, key, &event, ts);
            return;
        }
        self.on_event_checked(event, ts, out);
    }

    fn on_watermark<E: Emit<Self::Out>>(&mut self, watermark: Timestamp, out: &mut E) {
        if watermark <= self.watermark {
            return;
        }
        let old = self.watermark;
        self.watermark = watermark;
        // Fire, in order of their end, the windows ending in (old, watermark].
        let mut next_ws = 0;
        let mut i = 0;
        while i < self.panes.len() {
            let start = self.panes[i].start;
            let mut past = false;
            for ws in self.windows_of(start) {
                if ws < next_ws {
                    continue;
                }
                next_ws = ws.saturating_add(self.slide);
                let end = ws.saturating_add(self.size);
                if end > watermark {
                    past = true;
                    break;
                }
                if end > old {
                    self.fire(ws, out);
                }
            }
            if past {
                break;
            }
            i += 1;
        }
        let in_use = self.panes.len();
        let mut freed = 0;
        while let Some(front) = self.panes.front() {
            if self.retain_until(front.start) > watermark {
                break;
            }
            if let Some(mut pane) = self.panes.pop_front() {
                let keys = pane.accs.len();
                pane.accs.clear();
                if oversized(pane.accs.capacity(), keys) {
                    pane.accs.shrink_to(keys);
                }
                self.pool.push_back(pane.accs);
                freed += 1;
            }
        }
        // The current pane moved down by as many, or was freed.
        if self.current.index < freed {
            self.current = Current::NONE;
        } else {
            self.current.index -= freed;
        }
        // Enough spares for the panes to come, as many as were in use and
        // some slack; more would be kept for nothing.
        let spares = 2 * in_use + 4;
        if self.pool.len() > spares {
            self.pool.drain(..self.pool.len() - spares);
        }
    }

    fn on_end<E: Emit<Self::Out>>(&mut self, out: &mut E) {
        self.on_watermark(Timestamp::MAX, out);
    }

    /// Takes the processing clock of whatever runs it (the clock reads
    /// event time unless it is processing time).
    fn open(&mut self, cx: &crate::operator::OpenContext) -> Result<(), crate::state::StateError> {
        self.clock.open(&cx.clock);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::KeyFn;
    use crate::time::EventTime;
    use crate::window::aggregate::Aggs;

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
    > {
        let aggs = Aggs::<Ev>::new();
        AlignedWindow::new(
            KeyFn(|e: &Ev| e.0),
            EventTime::new(|e: &Ev| e.1, 0, None),
            (aggs.count(), aggs.sum(|e: &Ev| e.2)),
            size,
            slide,
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
                size,
                slide,
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
}
