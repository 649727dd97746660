//! Session windows, per key: a session grows while events keep coming less
//! than `gap` apart, and closes when the watermark passes its last event
//! plus the gap. An event that bridges two sessions merges them.
//!
//! Each session has at most one pending timer. When a session grows, its
//! timer is left where it is; when the timer fires early, it is set again at
//! the session's new end. A key whose sessions are all closed, past the
//! allowed lateness and then the gap (see [`SessionWindow`] for why the
//! gap), is removed, so state lives only as long as its sessions.

use core::marker::PhantomData;
use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use super::aggregate::Aggregate;
use super::{EmitPolicy, Windowed};
use crate::key::KeyOf;
use crate::message::Timestamp;
use crate::operator::{Emit, Operator};
use crate::room::oversized;
use crate::routing::{KeyGroups, key_hash};
use crate::state::StateError;
use crate::state::codec::{decode_plain, encode_plain};
use crate::time::Clock;
use crate::timer::Timers;

struct Session<Acc> {
    start: Timestamp,
    /// Last event's time plus the gap: the first time outside the session.
    end: Timestamp,
    acc: Acc,
    /// Time of this session's pending timer, if any.
    timer: Option<Timestamp>,
    fired: bool,
    /// Past its end plus the allowed lateness: its result is final, and it
    /// is kept (without its accumulator's contents) only so that an event
    /// that would have merged into it is known to be late.
    closed: bool,
}

/// The session-window operator: `window(session(gap))` followed by
/// `aggregate(..)`.
///
/// A session is kept until the watermark reaches its end plus the allowed
/// lateness; after that its result is final. An event is late, and goes to
/// [`Emit::emit_late`], if its session is final: either its own
/// `[ts, ts + gap)` is past the lateness, or it would merge into (or
/// bridge to) a session that is. Such an event starts no session of its
/// own: a second session overlapping the final one, for the same key, would
/// report one run of activity as two. This is the rule Flink and Beam
/// state, that an element is late when the window it merges into is past
/// the allowed lateness, applied also after that window's state is gone
/// (they forget a purged session and start a new one). An event is never
/// partly late here: it counts in its session or in none.
///
/// A final session is remembered, as its bounds only, until the watermark
/// reaches its end plus the lateness plus the gap (or a little after): by
/// then any event that could touch it is late by its own `[ts, ts + gap)`.
pub struct SessionWindow<T, KF: KeyOf<T>, C, A: Aggregate<T>> {
    key: KF,
    clock: C,
    agg: A,
    gap: Timestamp,
    lateness: Timestamp,
    emit: EmitPolicy,
    sessions: FxHashMap<KF::Key, Vec<Session<A::Acc>>>,
    timers: Timers<KF::Key>,
    due: Vec<(Timestamp, KF::Key)>,
    /// Final sessions' keys, with the time at which the session is no
    /// longer needed, oldest first; cheaper than a timer each.
    forget: VecDeque<(Timestamp, KF::Key)>,
    watermark: Timestamp,
    /// Its name in checkpoints, given when it opens.
    name: String,
    /// After recovery, per restored key, the watermark of the core that
    /// wrote it: that key is as far in time as that core was (an event late
    /// there is late here). Empty otherwise, and once the watermark passes
    /// them all.
    floor: FxHashMap<KF::Key, Timestamp>,
    /// The highest of `floor`.
    floor_until: Timestamp,
    _events: PhantomData<fn(T)>,
}

// By hand, without bounds (see `AlignedWindow`).
impl<T, KF: KeyOf<T>, C, A: Aggregate<T>> core::fmt::Debug for SessionWindow<T, KF, C, A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionWindow")
            .field("gap", &self.gap)
            .field("lateness", &self.lateness)
            .field("emit", &self.emit)
            .field("keys", &self.sessions.len())
            .field("watermark", &self.watermark)
            .finish_non_exhaustive()
    }
}

impl<T, KF: KeyOf<T>, C: Clock<T>, A: Aggregate<T>> SessionWindow<T, KF, C, A> {
    /// Sessions that close after `gap` without events, kept `lateness`
    /// longer for late events.
    pub fn new(
        key: KF,
        clock: C,
        agg: A,
        gap: Timestamp,
        lateness: Timestamp,
        emit: EmitPolicy,
    ) -> Self {
        SessionWindow {
            key,
            clock,
            agg,
            gap: gap.max(1),
            lateness,
            emit,
            sessions: FxHashMap::default(),
            timers: Timers::new(),
            due: Vec::new(),
            forget: VecDeque::new(),
            watermark: 0,
            name: String::new(),
            floor: FxHashMap::default(),
            floor_until: 0,
            _events: PhantomData,
        }
    }
}

impl<T, KF: KeyOf<T>, C: Clone, A: Aggregate<T>> Clone for SessionWindow<T, KF, C, A> {
    /// Same settings, no state.
    fn clone(&self) -> Self {
        SessionWindow {
            key: self.key.clone(),
            clock: self.clock.clone(),
            agg: self.agg.clone(),
            gap: self.gap,
            lateness: self.lateness,
            emit: self.emit,
            sessions: FxHashMap::default(),
            timers: Timers::new(),
            due: Vec::new(),
            forget: VecDeque::new(),
            watermark: 0,
            name: String::new(),
            floor: FxHashMap::default(),
            floor_until: 0,
            _events: PhantomData,
        }
    }
}

#[diagnostic::do_not_recommend]
impl<T, KF, C, A> Operator for SessionWindow<T, KF, C, A>
where
    T: Send + 'static,
    KF: KeyOf<T>,
    C: Clock<T>,
    A: Aggregate<T>,
{
    type In = T;
    type Out = Windowed<KF::Key, A::Out>;

    /// Every session of every key, with its timer and flags and this
    /// core's watermark.
    fn on_barrier<E: Emit<Self::Out>>(&mut self, _epoch: u64, out: &mut E) {
        let saved = match out.checkpoint() {
            None => return,
            Some(snap) => self.save(snap),
        };
        if let Err(e) = saved {
            out.fail(e);
        }
    }

    fn on_event<E: Emit<Self::Out>>(&mut self, event: T, out: &mut E) {
        let ts = self.clock.timestamp(&event);
        let own_end = ts.saturating_add(self.gap);
        let key = self.key.key(&event);
        // A recovered key is as far in time as the core that wrote it was.
        let watermark = if self.floor.is_empty() {
            self.watermark
        } else {
            self.floor
                .get(&key)
                .map_or(self.watermark, |&f| f.max(self.watermark))
        };
        if own_end.saturating_add(self.lateness) <= watermark {
            out.emit_late(event);
            return;
        }
        if !self.sessions.contains_key(&key) {
            self.sessions.insert(key.clone(), Vec::new());
        }
        let Some(list) = self.sessions.get_mut(&key) else {
            return;
        };
        // Sessions [s, e) that the event's own [ts, ts + gap) overlaps are
        // contiguous in the start-sorted list.
        let first = list.partition_point(|s| s.end <= ts);
        let mut last = first;
        while last < list.len() && list[last].start < own_end {
            last += 1;
        }
        if list[first..last].iter().any(|s| s.closed) {
            out.emit_late(event);
            return;
        }
        let merged = if first == last {
            let mut acc = self.agg.create();
            self.agg.add(&mut acc, &event, ts);
            list.insert(
                first,
                Session {
                    start: ts,
                    end: own_end,
                    acc,
                    timer: None,
                    fired: false,
                    closed: false,
                },
            );
            first
        } else {
            let (head, rest) = list.split_at_mut(first + 1);
            let s = &mut head[first];
            for other in &rest[..last - first - 1] {
                self.agg.merge(&mut s.acc, &other.acc);
                s.end = s.end.max(other.end);
                s.timer = match (s.timer, other.timer) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                s.fired |= other.fired;
            }
            s.start = s.start.min(ts);
            s.end = s.end.max(own_end);
            self.agg.add(&mut s.acc, &event, ts);
            list.drain(first + 1..last);
            first
        };
        let s = &mut list[merged];
        // Grown past the watermark, a fired session is open again: it fires
        // anew at its new end, which its pending timer (maybe the cleanup
        // one, at the old end plus lateness) may come after.
        if s.end > watermark {
            s.fired = false;
        }
        if s.timer.is_none_or(|t| t > s.end) {
            s.timer = Some(s.end);
            self.timers.set(s.end, key.clone());
        }
        // Already closed (a late event within the lateness), or `OnUpdate`:
        // the session's new value goes out now.
        if self.emit == EmitPolicy::OnUpdate || s.end <= watermark {
            if s.end <= watermark {
                s.fired = true;
            }
            out.emit(Windowed {
                key,
                start: s.start,
                end: s.end,
                value: self.agg.finish(&s.acc),
            });
        }
    }

    fn on_watermark<E: Emit<Self::Out>>(&mut self, watermark: Timestamp, out: &mut E) {
        if watermark <= self.watermark {
            return;
        }
        self.watermark = watermark;
        if !self.floor.is_empty() && watermark >= self.floor_until {
            self.floor = FxHashMap::default();
        }
        let mut due = std::mem::take(&mut self.due);
        self.timers.fire(watermark, |at, key| due.push((at, key)));
        let fired = due.len();
        let remembered = self.lateness.saturating_add(self.gap);
        for (at, key) in due.drain(..) {
            let Some(list) = self.sessions.get_mut(&key) else {
                continue;
            };
            for s in list.iter_mut().filter(|s| s.timer == Some(at)) {
                s.timer = None;
                if s.end <= watermark && !s.fired {
                    s.fired = true;
                    out.emit(Windowed {
                        key: key.clone(),
                        start: s.start,
                        end: s.end,
                        value: self.agg.finish(&s.acc),
                    });
                }
                let kept_until = s.end.saturating_add(self.lateness);
                if s.end > watermark || kept_until > watermark {
                    let next = if s.end > watermark { s.end } else { kept_until };
                    s.timer = Some(next);
                    self.timers.set(next, key.clone());
                } else {
                    s.closed = true;
                    s.acc = self.agg.create();
                    let forget_at = kept_until.saturating_add(self.gap);
                    if forget_at > watermark {
                        self.forget.push_back((forget_at, key.clone()));
                    }
                }
            }
            list.retain(|s| s.timer.is_some() || s.end.saturating_add(remembered) > watermark);
            if list.is_empty() {
                self.sessions.remove(&key);
            }
        }
        // Final sessions are forgotten in the order they closed, which is
        // nearly the order of their times to be forgotten: one that comes a
        // little later than its time is harmless (an event that touches it
        // is late by its own gap by then anyway).
        let mut forgotten = 0;
        while let Some(&(at, _)) = self.forget.front()
            && at <= watermark
        {
            let Some((_, key)) = self.forget.pop_front() else {
                break;
            };
            forgotten += 1;
            let Some(list) = self.sessions.get_mut(&key) else {
                continue;
            };
            list.retain(|s| !s.closed || s.end.saturating_add(remembered) > watermark);
            if list.is_empty() {
                self.sessions.remove(&key);
            }
        }
        // After a burst of keys, their sessions gone, the room they took is
        // given back: in the key map, the timers and the due list.
        let keys = self.sessions.len();
        if oversized(self.sessions.capacity(), keys) {
            self.sessions.shrink_to(keys);
        }
        self.timers.shrink_if_oversized(keys);
        if oversized(due.capacity(), fired) {
            due.shrink_to(fired);
        }
        if oversized(self.forget.capacity(), self.forget.len().max(forgotten)) {
            self.forget.shrink_to(self.forget.len().max(forgotten));
        }
        self.due = due;
    }

    fn on_end<E: Emit<Self::Out>>(&mut self, out: &mut E) {
        self.on_watermark(Timestamp::MAX, out);
    }

    /// Takes the processing clock of whatever runs it (the clock reads
    /// event time unless it is processing time).
    fn open(&mut self, cx: &crate::operator::OpenContext) -> Result<(), StateError> {
        self.clock.open(&cx.clock);
        self.name = cx.stage_name("session");
        let Some(restored) = cx.restored() else {
            return Ok(());
        };
        let types = crate::checkpoint::types_of::<KF::Key, A::Acc>();
        if let Some(section) = restored.stage(&self.name, &types)? {
            for (key, value) in section.raw(0) {
                self.restore_one(key, value)?;
            }
            self.forget
                .make_contiguous()
                .sort_unstable_by_key(|(at, _)| *at);
        }
        Ok(())
    }
}

/// Reads a little-endian `u64` at `at`.
fn u64_at(bytes: &[u8], at: usize) -> Result<u64, StateError> {
    bytes
        .get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or(StateError::BadSnapshot { at })
}

impl<T, KF: KeyOf<T>, C: Clock<T>, A: Aggregate<T>> SessionWindow<T, KF, C, A> {
    /// Writes every session: `[start][end][timer or u64::MAX][fired][closed]
    /// [this core's watermark][accumulator]` under its key.
    fn save(&self, snap: &mut crate::checkpoint::Snapshot) -> Result<(), StateError> {
        let types = crate::checkpoint::types_of::<KF::Key, A::Acc>();
        let id = snap.stage(&self.name, &types);
        let (mut key, mut value) = (Vec::new(), Vec::new());
        for (k, list) in &self.sessions {
            key.clear();
            if !encode_plain(k, &mut key) {
                return Err(StateError::NotCheckpointable {
                    stage: "a session window keyed by something other than a number, `bool` or `String`",
                });
            }
            let group = KeyGroups::DEFAULT.group_of_hash(key_hash(k));
            for s in list {
                value.clear();
                value.extend_from_slice(&s.start.to_le_bytes());
                value.extend_from_slice(&s.end.to_le_bytes());
                value.extend_from_slice(&s.timer.unwrap_or(u64::MAX).to_le_bytes());
                value.push(u8::from(s.fired));
                value.push(u8::from(s.closed));
                value.extend_from_slice(&self.watermark.to_le_bytes());
                self.agg.save(&s.acc, &mut value)?;
                snap.put(id, 0, group, &key, &value);
            }
        }
        Ok(())
    }

    /// Puts one restored session back, with its timer and, if final, its
    /// time to be forgotten.
    fn restore_one(&mut self, key: &[u8], value: &[u8]) -> Result<(), StateError> {
        let k: KF::Key = decode_plain(key).ok_or(StateError::BadSnapshot { at: 0 })??;
        let start = u64_at(value, 0)?;
        let end = u64_at(value, 8)?;
        let timer = Some(u64_at(value, 16)?).filter(|&t| t != u64::MAX);
        let (Some(&fired), Some(&closed)) = (value.get(24), value.get(25)) else {
            return Err(StateError::BadSnapshot { at: 24 });
        };
        let writer = u64_at(value, 26)?;
        let acc = self.agg.load(value.get(34..).unwrap_or_default())?;
        if let Some(at) = timer {
            self.timers.set(at, k.clone());
        }
        if closed != 0 {
            let forget_at = end.saturating_add(self.lateness).saturating_add(self.gap);
            self.forget.push_back((forget_at, k.clone()));
        }
        let f = self.floor.entry(k.clone()).or_insert(0);
        *f = (*f).max(writer);
        self.floor_until = self.floor_until.max(writer);
        let list = self.sessions.entry(k).or_default();
        let at = list.partition_point(|s| s.start < start);
        list.insert(
            at,
            Session {
                start,
                end,
                acc,
                timer,
                fired: fired != 0,
                closed: closed != 0,
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::KeyFn;
    use crate::time::EventTime;
    use crate::window::aggregate::Aggs;

    type Ev = (u32, Timestamp);

    fn op(
        gap: u64,
        lateness: u64,
    ) -> SessionWindow<Ev, impl KeyOf<Ev, Key = u32>, impl Clock<Ev>, impl Aggregate<Ev, Out = u64>>
    {
        SessionWindow::new(
            KeyFn(|e: &Ev| e.0),
            EventTime::new(|e: &Ev| e.1, 0, None),
            Aggs::<Ev>::new().count(),
            gap,
            lateness,
            EmitPolicy::OnClose,
        )
    }

    #[test]
    fn sessions_close_after_the_gap_and_merge_when_bridged() {
        let mut w = op(10, 0);
        let mut out = Vec::new();
        for e in [(1, 0), (1, 5), (1, 30), (2, 3), (1, 22)] {
            w.on_event(e, &mut out);
        }
        // (1, 22): its [22, 32) overlaps [30, 40), which grows to [22, 40).
        w.on_watermark(16, &mut out);
        // Within one watermark the order is the timers', not a contract.
        out.sort_by_key(|w| w.key);
        assert_eq!(
            out,
            [
                Windowed {
                    key: 1,
                    start: 0,
                    end: 15,
                    value: 2
                },
                Windowed {
                    key: 2,
                    start: 3,
                    end: 13,
                    value: 1
                },
            ]
        );
        out.clear();
        let mut late = Vec::new();
        {
            struct Both<'a>(&'a mut Vec<Windowed<u32, u64>>, &'a mut Vec<Ev>);
            impl Emit<Windowed<u32, u64>> for Both<'_> {
                fn emit(&mut self, item: Windowed<u32, u64>) {
                    self.0.push(item);
                }
                fn emit_late<X: 'static>(&mut self, late: X) {
                    let mut slot = Some(late);
                    if let Some(l) =
                        (&mut slot as &mut dyn core::any::Any).downcast_mut::<Option<Ev>>()
                    {
                        self.1.extend(l.take());
                    }
                }
            }
            let mut both = Both(&mut out, &mut late);
            w.on_event((1, 2), &mut both); // [2, 12) ended before 16: late
            w.on_end(&mut both);
        }
        assert_eq!(late, [(1, 2)]);
        assert_eq!(
            out,
            [Windowed {
                key: 1,
                start: 22,
                end: 40,
                value: 2
            }]
        );
    }

    /// Keeps what goes to the late output.
    #[derive(Default)]
    struct Late(Vec<Ev>);

    impl Emit<Windowed<u32, u64>> for Late {
        fn emit(&mut self, _item: Windowed<u32, u64>) {}
        fn emit_late<X: 'static>(&mut self, late: X) {
            let mut slot = Some(late);
            if let Some(l) = (&mut slot as &mut dyn core::any::Any).downcast_mut::<Option<Ev>>() {
                self.0.extend(l.take());
            }
        }
    }

    #[test]
    fn a_final_session_is_remembered_for_one_gap_then_forgotten() {
        let mut w = op(10, 0);
        let mut late = Late::default();
        w.on_event((1, 0), &mut late);
        w.on_watermark(12, &mut late);
        // [0, 10) is final; the event at 8 would have merged into it.
        w.on_event((1, 8), &mut late);
        assert_eq!(late.0, [(1, 8)]);
        assert_eq!(w.sessions.get(&1).map(Vec::len), Some(1), "no new session");
        w.on_watermark(19, &mut late);
        assert!(w.sessions.contains_key(&1));
        // From 20 on, an event that could touch [0, 10) is late by its own
        // [ts, ts + 10), so the session is no longer needed.
        w.on_watermark(20, &mut late);
        assert!(w.sessions.is_empty());
        w.on_event((1, 9), &mut late);
        assert_eq!(late.0, [(1, 8), (1, 9)]);
    }

    #[test]
    fn a_bridging_event_merges_two_sessions() {
        let mut w = op(10, 0);
        let mut out = Vec::new();
        for e in [(1, 0), (1, 18), (1, 9)] {
            w.on_event(e, &mut out);
        }
        w.on_end(&mut out);
        assert_eq!(
            out,
            [Windowed {
                key: 1,
                start: 0,
                end: 28,
                value: 3
            }]
        );
        assert!(w.sessions.is_empty(), "state freed when the session closed");
    }
}
