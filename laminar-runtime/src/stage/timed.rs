//! Time travels with the record. Between the stages of a chain, and across
//! exchanges, every item is a [`Timed`] value: the user's record and its
//! timestamp. The chain's first stage ([`Stamp`]) reads it from the event
//! with the pipeline's clock; stages that only transform records
//! ([`Lift`]) keep it (each result of `map`, `flat_map`, `filter_map`
//! carries its input's time); a window's results carry their window's
//! last millisecond, `end - 1`, as Flink's do ([`StampEnd`]); the last
//! stage ([`Unstamp`]) hands the records alone to the outputs. So a window
//! or keyed state may follow any stage, and a second window may follow a
//! first.
//!
//! The user's closures never see the wrapper: the builder lifts each
//! stage over it, and windows read keys and aggregate values through
//! [`OnValue`].

use core::marker::PhantomData;

use crate::key::KeyOf;
use crate::message::Timestamp;
use crate::operator::{Emit, ExchangeCounts, OpenContext, Operator, Polled};
use crate::routing::Route;
use crate::state::StateError;
use crate::time::{Clock, EventTime, NoTime, ProcessingClock, ProcessingTime};
use crate::window::aggregate::Aggregate;
use crate::window::{IntoTimestamp, Windowed};

/// A record and its event time, as it moves between stages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timed<T> {
    /// Milliseconds; 0 in a pipeline without event time.
    pub ts: Timestamp,
    /// The record.
    pub value: T,
}

/// What the chain's first stage needs of the pipeline's clock: each
/// event's time, once, as it enters.
pub trait StampClock<S>: Clone + Send + 'static {
    /// The event's time: its own in event time, 0 otherwise (processing
    /// time is read by the windows themselves, when they see the record).
    fn stamp(&self, event: &S) -> Timestamp;
}

impl<S> StampClock<S> for NoTime {
    #[inline(always)]
    fn stamp(&self, _event: &S) -> Timestamp {
        0
    }
}

impl<S> StampClock<S> for ProcessingTime {
    #[inline(always)]
    fn stamp(&self, _event: &S) -> Timestamp {
        0
    }
}

impl<S, R: IntoTimestamp, F: Fn(&S) -> R + Clone + Send + 'static> StampClock<S> for EventTime<F> {
    #[inline(always)]
    fn stamp(&self, event: &S) -> Timestamp {
        (self.extract)(event).into_timestamp()
    }
}

/// The first stage: stamps each source event with its time.
pub struct Stamp<S, Tm> {
    clock: Tm,
    _event: PhantomData<fn(S)>,
}

impl<S, Tm> Stamp<S, Tm> {
    /// Stamps by `clock`.
    pub fn new(clock: Tm) -> Self {
        Stamp {
            clock,
            _event: PhantomData,
        }
    }
}

impl<S, Tm: Clone> Clone for Stamp<S, Tm> {
    fn clone(&self) -> Self {
        Stamp::new(self.clock.clone())
    }
}

impl<S, Tm> core::fmt::Debug for Stamp<S, Tm> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Stamp")
    }
}

#[diagnostic::do_not_recommend]
impl<S: Send + 'static, Tm: StampClock<S>> Operator for Stamp<S, Tm> {
    type In = S;
    type Out = Timed<S>;

    #[inline(always)]
    fn on_event<E: Emit<Timed<S>>>(&mut self, event: S, out: &mut E) {
        let ts = self.clock.stamp(&event);
        out.emit(Timed { ts, value: event });
    }
}

/// The last stage: the records, without their times, for the outputs.
pub struct Unstamp<T>(PhantomData<fn(T)>);

impl<T> Unstamp<T> {
    /// The last stage.
    pub const fn new() -> Self {
        Unstamp(PhantomData)
    }
}

impl<T> Default for Unstamp<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for Unstamp<T> {
    fn clone(&self) -> Self {
        Self::new()
    }
}

impl<T> core::fmt::Debug for Unstamp<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Unstamp")
    }
}

#[diagnostic::do_not_recommend]
impl<T: Send + 'static> Operator for Unstamp<T> {
    type In = Timed<T>;
    type Out = T;

    #[inline(always)]
    fn on_event<E: Emit<T>>(&mut self, event: Timed<T>, out: &mut E) {
        out.emit(event.value);
    }
}

/// A stage of records run over timed items: each result carries the time
/// of the record it came from (and a timer's results the watermark that
/// fired it).
#[derive(Clone, Debug)]
pub struct Lift<Op>(pub Op);

/// The emitter a lifted stage writes to: stamps each result.
struct Restamp<'a, E> {
    ts: Timestamp,
    out: &'a mut E,
}

impl<T, E: Emit<Timed<T>>> Emit<T> for Restamp<'_, E> {
    #[inline(always)]
    fn emit(&mut self, item: T) {
        self.out.emit(Timed {
            ts: self.ts,
            value: item,
        });
    }

    #[inline]
    fn emit_late<L: 'static>(&mut self, late: L) {
        self.out.emit_late(late);
    }

    #[inline]
    fn emit_partly_late<L: 'static>(&mut self, event: L) {
        self.out.emit_partly_late(event);
    }

    #[inline]
    fn fail(&mut self, error: StateError) {
        self.out.fail(error);
    }

    #[inline]
    fn checkpoint(&mut self) -> Option<&mut crate::checkpoint::Snapshot> {
        self.out.checkpoint()
    }
}

#[diagnostic::do_not_recommend]
impl<Op: Operator> Operator for Lift<Op> {
    type In = Timed<Op::In>;
    type Out = Timed<Op::Out>;

    #[inline(always)]
    fn on_event<E: Emit<Self::Out>>(&mut self, event: Self::In, out: &mut E) {
        let mut out = Restamp { ts: event.ts, out };
        self.0.on_event(event.value, &mut out);
    }

    #[inline]
    fn on_watermark<E: Emit<Self::Out>>(&mut self, watermark: Timestamp, out: &mut E) {
        self.0
            .on_watermark(watermark, &mut Restamp { ts: watermark, out });
    }

    #[inline]
    fn on_end<E: Emit<Self::Out>>(&mut self, out: &mut E) {
        self.0.on_end(&mut Restamp {
            ts: Timestamp::MAX,
            out,
        });
    }

    #[inline]
    fn on_barrier<E: Emit<Self::Out>>(&mut self, epoch: u64, out: &mut E) {
        self.0.on_barrier(
            epoch,
            &mut Restamp {
                ts: Timestamp::MAX,
                out,
            },
        );
    }

    fn open(&mut self, cx: &OpenContext) -> Result<(), StateError> {
        self.0.open(cx)
    }

    const PASSES_TIME: bool = Op::PASSES_TIME;

    fn poll<E: Emit<Self::Out>>(&mut self, out: &mut E) -> Polled {
        self.0.poll(&mut Restamp {
            ts: Timestamp::MAX,
            out,
        })
    }

    fn flush_outgoing(&mut self) {
        self.0.flush_outgoing();
    }

    fn has_input(&mut self) -> bool {
        self.0.has_input()
    }

    fn exchange_watermark(&self) -> Option<Timestamp> {
        self.0.exchange_watermark()
    }

    fn exchange_counts(&self, counts: &mut ExchangeCounts) {
        self.0.exchange_counts(counts);
    }
}

/// A window over timed items, whose results carry their window's last
/// millisecond (`end - 1`), so that a window after it places them.
#[derive(Clone, Debug)]
pub struct StampEnd<W>(pub W);

/// The emitter a window writes to inside [`StampEnd`].
struct EndStamp<'a, E, T> {
    out: &'a mut E,
    _late: PhantomData<fn(T)>,
}

impl<K, V, T: 'static, E: Emit<Timed<Windowed<K, V>>>> Emit<Windowed<K, V>> for EndStamp<'_, E, T> {
    #[inline(always)]
    fn emit(&mut self, item: Windowed<K, V>) {
        self.out.emit(Timed {
            ts: item.end.saturating_sub(1),
            value: item,
        });
    }

    /// A late event leaves as its record: the late outputs are typed by
    /// the pipeline's input, not by its timed items.
    #[inline]
    fn emit_late<L: 'static>(&mut self, late: L) {
        let mut slot = Some(late);
        if let Some(record) = take_record::<L, T>(&mut slot) {
            self.out.emit_late(record);
        } else if let Some(late) = slot {
            self.out.emit_late(late);
        }
    }

    #[inline]
    fn emit_partly_late<L: 'static>(&mut self, event: L) {
        let mut slot = Some(event);
        if let Some(record) = take_record::<L, T>(&mut slot) {
            self.out.emit_partly_late(record);
        } else if let Some(event) = slot {
            self.out.emit_partly_late(event);
        }
    }

    #[inline]
    fn fail(&mut self, error: StateError) {
        self.out.fail(error);
    }

    #[inline]
    fn checkpoint(&mut self) -> Option<&mut crate::checkpoint::Snapshot> {
        self.out.checkpoint()
    }
}

/// The record of the item in `slot`, taken out, if the item is a
/// `Timed<T>` (always, for a window over `Timed<T>`: the check is a
/// constant once monomorphized).
#[inline]
fn take_record<L: 'static, T: 'static>(slot: &mut Option<L>) -> Option<T> {
    (slot as &mut dyn core::any::Any)
        .downcast_mut::<Option<Timed<T>>>()
        .and_then(Option::take)
        .map(|timed| timed.value)
}

#[diagnostic::do_not_recommend]
impl<W, T, K, V> Operator for StampEnd<W>
where
    W: Operator<In = Timed<T>, Out = Windowed<K, V>>,
    T: 'static,
{
    type In = Timed<T>;
    type Out = Timed<Windowed<K, V>>;

    #[inline(always)]
    fn on_event<E: Emit<Self::Out>>(&mut self, event: Timed<T>, out: &mut E) {
        self.0.on_event(
            event,
            &mut EndStamp {
                out,
                _late: PhantomData::<fn(T)>,
            },
        );
    }

    #[inline]
    fn on_watermark<E: Emit<Self::Out>>(&mut self, watermark: Timestamp, out: &mut E) {
        self.0.on_watermark(
            watermark,
            &mut EndStamp {
                out,
                _late: PhantomData::<fn(T)>,
            },
        );
    }

    #[inline]
    fn on_end<E: Emit<Self::Out>>(&mut self, out: &mut E) {
        self.0.on_end(&mut EndStamp {
            out,
            _late: PhantomData::<fn(T)>,
        });
    }

    #[inline]
    fn on_barrier<E: Emit<Self::Out>>(&mut self, epoch: u64, out: &mut E) {
        self.0.on_barrier(
            epoch,
            &mut EndStamp {
                out,
                _late: PhantomData::<fn(T)>,
            },
        );
    }

    fn open(&mut self, cx: &OpenContext) -> Result<(), StateError> {
        self.0.open(cx)
    }
}

/// Reads a record's key, value or route through its timed item.
#[derive(Clone, Copy, Debug, Default)]
pub struct OnValue<X>(pub X);

// Internal: a failed bound names the user's key, aggregate or route.
#[diagnostic::do_not_recommend]
impl<T, KF: KeyOf<T>> KeyOf<Timed<T>> for OnValue<KF> {
    type Key = KF::Key;
    #[inline(always)]
    fn key(&self, event: &Timed<T>) -> KF::Key {
        self.0.key(&event.value)
    }
}

impl<T, A: Aggregate<T>> Aggregate<Timed<T>> for OnValue<A> {
    type Acc = A::Acc;
    type Out = A::Out;
    #[inline(always)]
    fn create(&self) -> A::Acc {
        self.0.create()
    }
    #[inline(always)]
    fn add(&self, acc: &mut A::Acc, event: &Timed<T>, timestamp: Timestamp) {
        self.0.add(acc, &event.value, timestamp);
    }
    #[inline(always)]
    fn merge(&self, into: &mut A::Acc, other: &A::Acc) {
        self.0.merge(into, other);
    }
    #[inline(always)]
    fn finish(&self, acc: &A::Acc) -> A::Out {
        self.0.finish(acc)
    }
    fn save(&self, acc: &A::Acc, out: &mut Vec<u8>) -> Result<(), StateError> {
        self.0.save(acc, out)
    }
    fn load(&self, bytes: &[u8]) -> Result<A::Acc, StateError> {
        self.0.load(bytes)
    }
}

// Internal: a failed bound names the user's key, aggregate or route.
#[diagnostic::do_not_recommend]
impl<T, R: Route<T>> Route<Timed<T>> for OnValue<R> {
    #[inline(always)]
    fn core_of(&mut self, event: &Timed<T>, cores: usize) -> usize {
        self.0.core_of(&event.value, cores)
    }
}

/// How a window reads the time of a timed item: the time it carries in
/// event time, the processing clock's in processing time.
#[derive(Clone, Debug, Default)]
pub struct ItemClock<Tm>(pub Tm);

impl<T, F: Clone + Send + 'static> Clock<Timed<T>> for ItemClock<EventTime<F>> {
    #[inline(always)]
    fn timestamp(&self, event: &Timed<T>) -> Timestamp {
        event.ts
    }
}

impl<T> Clock<Timed<T>> for ItemClock<ProcessingTime> {
    #[inline]
    fn timestamp(&self, event: &Timed<T>) -> Timestamp {
        self.0.timestamp(event)
    }

    fn open(&mut self, clock: &ProcessingClock) {
        <ProcessingTime as Clock<Timed<T>>>::open(&mut self.0, clock);
    }
}
