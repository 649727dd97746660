//! Event time and windows: what a window is, how events get their time
//! inside a window, and the two window operators. The key types a window
//! groups by live in [`key`](crate::key).
//!
//! - [`aligned`]: tumbling and sliding windows, kept as panes;
//! - [`session`]: session windows per key, merged as events bridge gaps;
//! - [`aggregate`]: what a window computes;
//! - [`timer`]: the timer service the session windows fire from;
//! - [`duration`]: durations given as expressions, checked at build.
//!
//! Late data is never dropped silently: an event past the watermark but
//! within the allowed lateness updates its window and fires it again; a
//! later one goes to the late-data output ([`Emit::emit_late`]), counted.
//! A sliding-window event that missed some of its windows, final by the
//! time it came, but reached others goes there too, counted apart
//! ([`Emit::emit_partly_late`]). The rule for each shape is on
//! [`AlignedWindow`](aligned::AlignedWindow) and
//! [`SessionWindow`](session::SessionWindow).
//!
//! [`Emit::emit_late`]: crate::Emit::emit_late
//! [`Emit::emit_partly_late`]: crate::Emit::emit_partly_late

pub mod aggregate;
pub mod aligned;
pub mod duration;
pub mod session;
pub mod timer;

// The key types used to live here; kept at this path for the macro's
// generated code and for users who name them so.
pub use crate::key::{AllKey, KeyFn, KeyOf, NoKey};

use crate::message::Timestamp;

/// One result of a window: its key, its bounds `[start, end)` in event time,
/// and the aggregate's value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Windowed<K, V> {
    /// The key the window belongs to (`()` for `window_all`).
    pub key: K,
    /// First timestamp inside the window.
    pub start: Timestamp,
    /// First timestamp after the window.
    pub end: Timestamp,
    /// The aggregate.
    pub value: V,
}

/// When a window emits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EmitPolicy {
    /// Once, when the watermark passes the window's end (and again for
    /// each late event within the allowed lateness).
    #[default]
    OnClose,
    /// After every event that updates it.
    OnUpdate,
}

/// What an `event_time` closure returns: milliseconds.
#[diagnostic::on_unimplemented(
    message = "an event time is `u64` milliseconds, not `{Self}`",
    label = "this closure returns `{Self}`",
    note = "convert it in the closure: `e.ts as u64`, `e.ts.parse::<u64>().unwrap_or(0)`, `dt.timestamp_millis() as u64`"
)]
///
/// Implemented for `u64` and `u32`; convert any other time in the closure.
pub trait IntoTimestamp {
    /// As milliseconds.
    fn into_timestamp(self) -> Timestamp;

    /// The clock `event_time` makes of an extractor returning `Self`: always
    /// [`EventTime<F>`]. Named through this trait so that, when `Self` is not
    /// a timestamp, the pipeline's clock is left unresolved instead of being
    /// an `EventTime` that every later window would reject again: the user
    /// gets one error, at `event_time`.
    #[doc(hidden)]
    type EventClock<F>;

    /// Makes [`IntoTimestamp::EventClock`].
    #[doc(hidden)]
    fn event_clock<F>(
        extract: F,
        out_of_orderness: Timestamp,
        idle_ms: Option<u64>,
    ) -> Self::EventClock<F>;
}

// Written out, not by a macro: rustc quotes these impls, spans and all, when
// an extractor returns another type.
impl IntoTimestamp for u64 {
    #[inline(always)]
    fn into_timestamp(self) -> Timestamp {
        self
    }

    type EventClock<F> = EventTime<F>;

    #[inline]
    fn event_clock<F>(
        extract: F,
        out_of_orderness: Timestamp,
        idle_ms: Option<u64>,
    ) -> EventTime<F> {
        EventTime::new(extract, out_of_orderness, idle_ms)
    }
}

impl IntoTimestamp for u32 {
    #[inline(always)]
    fn into_timestamp(self) -> Timestamp {
        Timestamp::from(self)
    }

    type EventClock<F> = EventTime<F>;

    #[inline]
    fn event_clock<F>(
        extract: F,
        out_of_orderness: Timestamp,
        idle_ms: Option<u64>,
    ) -> EventTime<F> {
        EventTime::new(extract, out_of_orderness, idle_ms)
    }
}

/// An `event_time` extractor: a closure from an event to its time, for every
/// `Fn(&T) -> R` with `R: IntoTimestamp`.
///
/// `event_time` states its bound as this one trait on the closure, not as a
/// bound on what the closure returns, so that rustc reports an extractor
/// returning another type at the closure itself.
pub trait TimestampFn<T>: Fn(&T) -> <Self as TimestampFn<T>>::Ts {
    /// What the closure returns.
    type Ts: IntoTimestamp;
}

impl<T, R: IntoTimestamp, F: Fn(&T) -> R> TimestampFn<T> for F {
    type Ts = R;
}

/// How a window reads the time of an event.
pub trait Clock<T>: Clone + Send + 'static {
    /// The event's timestamp.
    fn timestamp(&self, event: &T) -> Timestamp;
}

/// Event time, read by the user's extractor.
#[derive(Clone, Debug)]
pub struct EventTime<F> {
    pub(crate) extract: F,
    pub(crate) out_of_orderness: Timestamp,
    pub(crate) idle_ms: Option<u64>,
}

impl<F> EventTime<F> {
    /// Timestamps from `extract`; the watermark trails the highest timestamp
    /// seen by `out_of_orderness`; an input silent for `idle_ms` stops
    /// holding the watermark back.
    pub fn new(extract: F, out_of_orderness: Timestamp, idle_ms: Option<u64>) -> Self {
        EventTime {
            extract,
            out_of_orderness,
            idle_ms,
        }
    }
}

impl<T, R: IntoTimestamp, F: Fn(&T) -> R + Clone + Send + 'static> Clock<T> for EventTime<F> {
    #[inline(always)]
    fn timestamp(&self, event: &T) -> Timestamp {
        (self.extract)(event).into_timestamp()
    }
}

/// Processing time: the wall clock when the window sees the event.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessingTime;

impl<T> Clock<T> for ProcessingTime {
    #[inline]
    fn timestamp(&self, _event: &T) -> Timestamp {
        now_ms()
    }
}

/// Milliseconds since the Unix epoch, the unit of processing time.
pub fn now_ms() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Timestamp)
}

/// No clock chosen: such a pipeline cannot window (the macro says so).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTime;

/// Whether a map or buffer with room for `capacity` items, of which at most
/// `need` were used of late, keeps far more room than it needs: more than
/// [`SHRINK_ABOVE`] times as much, counting small needs as
/// [`KEEP_AT_LEAST`]. A window that saw a burst of keys then gives the room
/// back; one whose load varies less than that keeps its room, so that in
/// steady state it does not allocate.
#[inline]
pub(crate) const fn oversized(capacity: usize, need: usize) -> bool {
    let need = if need > KEEP_AT_LEAST {
        need
    } else {
        KEEP_AT_LEAST
    };
    capacity / SHRINK_ABOVE > need
}

/// See [`oversized`].
pub(crate) const SHRINK_ABOVE: usize = 4;
/// See [`oversized`].
pub(crate) const KEEP_AT_LEAST: usize = 64;

/// The greatest common divisor, for pane lengths.
pub(crate) const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// What an input handle needs of a pipeline's clock: each event's time, and
/// how to turn the highest one into a watermark.
pub trait IngressTime<T>: Clone + Send + 'static {
    /// The event's time, if the pipeline runs in event time.
    fn timestamp(&self, event: &T) -> Option<Timestamp>;
    /// How far the watermark trails the highest timestamp.
    fn out_of_orderness(&self) -> Timestamp;
    /// After how long an input stops holding the watermark back.
    fn idle_timeout(&self) -> Option<std::time::Duration>;
    /// Whether windows run on the wall clock.
    fn is_processing_time(&self) -> bool;
}

impl<T> IngressTime<T> for NoTime {
    #[inline(always)]
    fn timestamp(&self, _event: &T) -> Option<Timestamp> {
        None
    }
    fn out_of_orderness(&self) -> Timestamp {
        0
    }
    fn idle_timeout(&self) -> Option<std::time::Duration> {
        None
    }
    fn is_processing_time(&self) -> bool {
        false
    }
}

impl<T> IngressTime<T> for ProcessingTime {
    #[inline(always)]
    fn timestamp(&self, _event: &T) -> Option<Timestamp> {
        None
    }
    fn out_of_orderness(&self) -> Timestamp {
        0
    }
    fn idle_timeout(&self) -> Option<std::time::Duration> {
        None
    }
    fn is_processing_time(&self) -> bool {
        true
    }
}

impl<T, R: IntoTimestamp, F: Fn(&T) -> R + Clone + Send + 'static> IngressTime<T> for EventTime<F> {
    #[inline(always)]
    fn timestamp(&self, event: &T) -> Option<Timestamp> {
        Some((self.extract)(event).into_timestamp())
    }
    fn out_of_orderness(&self) -> Timestamp {
        self.out_of_orderness
    }
    fn idle_timeout(&self) -> Option<std::time::Duration> {
        self.idle_ms.map(std::time::Duration::from_millis)
    }
    fn is_processing_time(&self) -> bool {
        false
    }
}

/// A pipeline's ingress: its route plus its clock, as one [`Route`].
///
/// [`Route`]: crate::Route
#[derive(Clone, Debug)]
pub struct Ingress<R, Tm> {
    pub(crate) route: R,
    pub(crate) time: Tm,
}

impl<T, R: crate::Route<T>, Tm: IngressTime<T>> crate::Route<T> for Ingress<R, Tm> {
    #[inline(always)]
    fn core_of(&mut self, event: &T, cores: usize) -> usize {
        self.route.core_of(event, cores)
    }
    #[inline(always)]
    fn timestamp(&self, event: &T) -> Option<Timestamp> {
        self.time.timestamp(event)
    }
    fn out_of_orderness(&self) -> Timestamp {
        self.time.out_of_orderness()
    }
}
