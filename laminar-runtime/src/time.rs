//! Clocks: how a stage reads the time of an event ([`Clock`]), from the
//! event itself ([`EventTime`]) or from the wall clock ([`ProcessingTime`],
//! [`now_ms`]), or that a pipeline has no clock ([`NoTime`]).
//!
//! What counts as a timestamp ([`IntoTimestamp`]) stays in
//! [`window`](crate::window), where rustc's diagnostics for a wrong
//! `event_time` type point.

use crate::message::Timestamp;
use crate::window::IntoTimestamp;

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
