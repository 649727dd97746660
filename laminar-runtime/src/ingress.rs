//! A pipeline's ingress: its [`Route`](crate::Route) together with its
//! clock, so that an input handle both picks each event's core and tracks
//! the watermark.

use crate::message::Timestamp;
use crate::time::{EventTime, NoTime, ProcessingTime};
use crate::window::IntoTimestamp;

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
    fn any_core(&self) -> bool {
        self.route.any_core()
    }
}
