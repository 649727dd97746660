//! `window_all` in two phases. One window over every event would make one
//! core do all of a window's work; instead each core aggregates its own
//! events per window ([`Partial`]: the window's accumulator, not its
//! result), sends each window's accumulator to core 0 when the window
//! closes on that core, and core 0 merges them ([`MergeWindows`]), with
//! the aggregate's own [`Aggregate::merge`].
//!
//! Core 0 emits a window once its watermark, the lowest of every core's
//! (see [`Repartition`](crate::exchange::Repartition)), reaches the
//! window's end: each core sends a window's accumulator before the
//! watermark that closed it, in band, so by then every core's has come.
//! This holds for windows that fire once (`emit = on_close`, no allowed
//! lateness); the macro runs other `window_all`s in one phase, on core 0.

use std::collections::BTreeMap;

use super::Windowed;
use super::aggregate::Aggregate;
use crate::message::Timestamp;
use crate::operator::{Emit, Operator};
use crate::stage::timed::Timed;

/// The first phase's aggregate: `A`'s accumulator, as the window's value.
#[derive(Clone, Copy, Debug, Default)]
pub struct Partial<A>(pub A);

impl<T, A: Aggregate<T, Acc: Clone>> Aggregate<T> for Partial<A> {
    type Acc = A::Acc;
    type Out = A::Acc;
    #[inline(always)]
    fn create(&self) -> A::Acc {
        self.0.create()
    }
    #[inline(always)]
    fn add(&self, acc: &mut A::Acc, event: &T, timestamp: Timestamp) {
        self.0.add(acc, event, timestamp);
    }
    #[inline(always)]
    fn merge(&self, into: &mut A::Acc, other: &A::Acc) {
        self.0.merge(into, other);
    }
    #[inline]
    fn finish(&self, acc: &A::Acc) -> A::Acc {
        acc.clone()
    }
    fn save(&self, acc: &A::Acc, out: &mut Vec<u8>) -> Result<(), crate::state::StateError> {
        self.0.save(acc, out)
    }
    fn load(&self, bytes: &[u8]) -> Result<A::Acc, crate::state::StateError> {
        self.0.load(bytes)
    }
}

/// The second phase: merges every core's accumulator of a window, and
/// emits the window's result when the watermark passes its end.
pub struct MergeWindows<T, A: Aggregate<T>> {
    agg: A,
    /// Open windows by `(end, start)`: the earliest end first.
    open: BTreeMap<(Timestamp, Timestamp), A::Acc>,
    /// Its name in checkpoints, given when it opens.
    name: String,
}

impl<T, A: Aggregate<T>> MergeWindows<T, A> {
    /// Merges with `agg`.
    pub fn new(agg: A) -> Self {
        MergeWindows {
            agg,
            open: BTreeMap::new(),
            name: String::new(),
        }
    }

    /// Emits, in order of end, every window that ends at or before `until`.
    fn fire<E: Emit<Timed<Windowed<(), A::Out>>>>(&mut self, until: Timestamp, out: &mut E) {
        while let Some(entry) = self.open.first_entry() {
            let (end, start) = *entry.key();
            if end > until {
                break;
            }
            let acc = entry.remove();
            out.emit(Timed {
                ts: end.saturating_sub(1),
                value: Windowed {
                    key: (),
                    start,
                    end,
                    value: self.agg.finish(&acc),
                },
            });
        }
    }
}

// A fresh instance with the same aggregate: what each core starts from.
impl<T, A: Aggregate<T>> Clone for MergeWindows<T, A> {
    fn clone(&self) -> Self {
        MergeWindows::new(self.agg.clone())
    }
}

impl<T, A: Aggregate<T>> core::fmt::Debug for MergeWindows<T, A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MergeWindows")
            .field("open", &self.open.len())
            .finish_non_exhaustive()
    }
}

#[diagnostic::do_not_recommend]
impl<T: 'static, A: Aggregate<T>> Operator for MergeWindows<T, A> {
    type In = Timed<Windowed<(), A::Acc>>;
    type Out = Timed<Windowed<(), A::Out>>;

    /// The open windows' merged accumulators, in key group 0: the
    /// merging core is core 0 on any number of cores.
    fn on_barrier<E: Emit<Self::Out>>(&mut self, _epoch: u64, out: &mut E) {
        let Some(snap) = out.checkpoint() else { return };
        let id = snap.stage(&self.name, &crate::checkpoint::types_of::<(), A::Acc>());
        let mut value = Vec::new();
        let mut saved = Ok(());
        for (&(end, start), acc) in &self.open {
            value.clear();
            saved = self.agg.save(acc, &mut value);
            if saved.is_err() {
                break;
            }
            let mut key = [0u8; 16];
            key[..8].copy_from_slice(&end.to_le_bytes());
            key[8..].copy_from_slice(&start.to_le_bytes());
            snap.put(id, 0, 0, &key, &value);
        }
        if let Err(e) = saved {
            out.fail(e);
        }
    }

    fn open(&mut self, cx: &crate::operator::OpenContext) -> Result<(), crate::state::StateError> {
        self.name = cx.stage_name("window_all");
        let Some(restored) = cx.restored() else {
            return Ok(());
        };
        let types = crate::checkpoint::types_of::<(), A::Acc>();
        if let Some(section) = restored.stage(&self.name, &types)? {
            for (key, value) in section.raw(0) {
                let bad = || crate::state::StateError::BadSnapshot { at: 0 };
                let (Some(end), Some(start)) = (key.get(..8), key.get(8..16)) else {
                    return Err(bad());
                };
                let end = Timestamp::from_le_bytes(end.try_into().map_err(|_| bad())?);
                let start = Timestamp::from_le_bytes(start.try_into().map_err(|_| bad())?);
                let acc = self.agg.load(value)?;
                match self.open.get_mut(&(end, start)) {
                    Some(into) => self.agg.merge(into, &acc),
                    None => {
                        self.open.insert((end, start), acc);
                    }
                }
            }
        }
        Ok(())
    }

    #[inline]
    fn on_event<E: Emit<Self::Out>>(&mut self, event: Self::In, _out: &mut E) {
        let w = event.value;
        match self.open.get_mut(&(w.end, w.start)) {
            Some(acc) => self.agg.merge(acc, &w.value),
            None => {
                self.open.insert((w.end, w.start), w.value);
            }
        }
    }

    fn on_watermark<E: Emit<Self::Out>>(&mut self, watermark: Timestamp, out: &mut E) {
        self.fire(watermark, out);
    }

    fn on_end<E: Emit<Self::Out>>(&mut self, out: &mut E) {
        self.fire(Timestamp::MAX, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::aggregate::Aggs;

    fn partial(start: u64, end: u64, v: Option<u64>) -> Timed<Windowed<(), Option<u64>>> {
        Timed {
            ts: end - 1,
            value: Windowed {
                key: (),
                start,
                end,
                value: v,
            },
        }
    }

    #[test]
    fn merges_every_cores_accumulator_and_fires_at_the_end() {
        let max = Aggs::<u64>::new().max(|x: &u64| *x);
        let mut m = MergeWindows::new(max);
        let mut out = Vec::new();
        m.on_event(partial(0, 10, Some(3)), &mut out);
        m.on_event(partial(10, 20, Some(1)), &mut out);
        m.on_event(partial(0, 10, Some(7)), &mut out);
        m.on_watermark(9, &mut out);
        assert!(
            out.is_empty(),
            "a window fires when the watermark reaches its end"
        );
        m.on_watermark(10, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].ts, out[0].value.value), (9, Some(7)));
        m.on_event(partial(10, 20, Some(4)), &mut out);
        m.on_end(&mut out);
        assert_eq!(out.len(), 2);
        assert_eq!((out[1].value.start, out[1].value.value), (10, Some(4)));
    }
}
