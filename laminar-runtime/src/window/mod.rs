//! Event time and windows: what a window is, how events get their time
//! inside a window, and the two window operators. The key types a window
//! groups by live in [`crate::key`], its clocks in [`crate::time`], and the
//! timers session windows fire from in [`crate::timer`].
//!
//! - [`aligned`]: tumbling and sliding windows, kept as panes;
//! - [`session`]: session windows per key, merged as events bridge gaps;
//! - [`aggregate`]: what a window computes;
//! - [`geometry`]: a tumbling or sliding window's durations, constants when
//!   they were literals;
//! - [`duration`]: durations given as expressions, checked at build;
//! - [`two_phase`]: `window_all` as a window per core, merged on core 0.
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
pub mod geometry;
pub mod session;
pub mod two_phase;

// The key types used to live here; kept at this path for the macro's
// generated code and for users who name them so.
pub use crate::key::{AllKey, KeyFn, KeyOf, NoKey};
// Likewise the clocks and the ingress.
pub use crate::ingress::{Ingress, IngressTime};
pub use crate::time::{Clock, EventTime, NoTime, ProcessingTime, now_ms};
// And the timer service, which session windows and `process` both use.
pub use crate::timer;

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

/// The greatest common divisor, for pane lengths.
pub(crate) const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}
