//! Clocks: how a stage reads the time of an event ([`Clock`]), from the
//! event itself ([`EventTime`]) or from the wall clock ([`ProcessingTime`],
//! [`now_ms`]), or that a pipeline has no clock ([`NoTime`]).
//!
//! What counts as a timestamp ([`IntoTimestamp`]) stays in
//! [`window`](crate::window), where rustc's diagnostics for a wrong
//! `event_time` type point.
//!
//! Processing time is read through a seam, [`ProcessingClock`]: the
//! runtime opens every stage with the wall clock, and the test harness
//! (`laminar::testing`) with a [`ManualClock`] it moves by hand. The choice
//! is an enum matched per read, not a trait object, so the wall clock costs
//! no indirect call; an event-time stage never reads it at all.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::message::Timestamp;
use crate::window::IntoTimestamp;

/// How a window reads the time of an event.
pub trait Clock<T>: Clone + Send + 'static {
    /// The event's timestamp.
    fn timestamp(&self, event: &T) -> Timestamp;

    /// Called when the stage that owns this clock opens (see
    /// [`Operator::open`](crate::Operator::open)), with the processing
    /// clock of the runtime or harness that runs it. Event time ignores it.
    #[inline]
    fn open(&mut self, clock: &ProcessingClock) {
        let _ = clock;
    }
}

/// Where processing time comes from: the wall clock (what the runtime
/// gives every stage) or a clock set by hand (what the test harness gives).
#[derive(Clone, Debug, Default)]
pub enum ProcessingClock {
    /// Milliseconds since the Unix epoch, [`now_ms`].
    #[default]
    Wall,
    /// Whatever the [`ManualClock`] was last set to.
    Manual(ManualClock),
}

impl ProcessingClock {
    /// The time now, by this clock.
    #[inline]
    pub fn now_ms(&self) -> Timestamp {
        match self {
            ProcessingClock::Wall => now_ms(),
            ProcessingClock::Manual(clock) => clock.now_ms(),
        }
    }
}

/// A processing-time clock that moves only when told to. Clones share the
/// time: the harness keeps one, and each stage that reads processing time
/// another.
///
/// ```
/// use laminar_runtime::time::{ManualClock, ProcessingClock};
///
/// let clock = ManualClock::new(1_000);
/// let seen_by_a_stage = ProcessingClock::Manual(clock.clone());
/// clock.advance(250);
/// assert_eq!(seen_by_a_stage.now_ms(), 1_250);
/// ```
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock that reads `start` until it is moved.
    pub fn new(start: Timestamp) -> Self {
        ManualClock(Arc::new(AtomicU64::new(start)))
    }

    /// The time it reads now.
    #[inline]
    pub fn now_ms(&self) -> Timestamp {
        self.0.load(Ordering::Relaxed)
    }

    /// Sets the time; it may go back, which the wall clock can do too.
    pub fn set(&self, to: Timestamp) {
        self.0.store(to, Ordering::Relaxed);
    }

    /// Moves the time forward by `by` milliseconds; returns the new time.
    pub fn advance(&self, by: Timestamp) -> Timestamp {
        let to = self.now_ms().saturating_add(by);
        self.set(to);
        to
    }
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

/// Processing time: the time when the window sees the event, by the
/// processing clock the stage was opened with (the wall clock until then).
#[derive(Clone, Debug, Default)]
pub struct ProcessingTime {
    clock: ProcessingClock,
}

impl<T> Clock<T> for ProcessingTime {
    #[inline]
    fn timestamp(&self, _event: &T) -> Timestamp {
        self.clock.now_ms()
    }

    fn open(&mut self, clock: &ProcessingClock) {
        self.clock = clock.clone();
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
