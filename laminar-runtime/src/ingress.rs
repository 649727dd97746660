//! A pipeline's ingress: its [`Route`](crate::Route) together with its
//! clock, so that an input handle both picks each event's core and tracks
//! the watermark.

use crate::message::Timestamp;
use crate::port::Either;
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

/// What a pipeline's ingress tells the runtime besides routing: whether
/// its windows run on the wall clock, and after how long an idle input
/// stops holding time back. [`Ingress`] says it of its clock; [`Ports`],
/// of its inputs together.
pub trait IngressRoute<T>: crate::Route<T> {
    /// Whether windows run on the wall clock.
    fn is_processing_time(&self) -> bool;
    /// After how long an input stops holding the watermark back.
    fn idle_timeout(&self) -> Option<std::time::Duration>;
}

impl<T, R: crate::Route<T>, Tm: IngressTime<T>> IngressRoute<T> for Ingress<R, Tm> {
    fn is_processing_time(&self) -> bool {
        self.time.is_processing_time()
    }
    fn idle_timeout(&self) -> Option<std::time::Duration> {
        self.time.idle_timeout()
    }
}

/// The ingress of a pipeline with two inputs (see
/// [`port`](crate::port)): each event is routed and timed by its own
/// input's ingress.
///
/// A handle's watermark trails its highest timestamp by the largest
/// lateness of the two, so that it never runs ahead of either input's
/// promise; a port's handle sees only its own input's events.
#[derive(Clone, Debug)]
pub struct Ports<A, B>(pub A, pub B);

impl<TA, TB, A, B> crate::Route<Either<TA, TB>> for Ports<A, B>
where
    A: IngressRoute<TA>,
    B: IngressRoute<TB>,
{
    #[inline(always)]
    fn core_of(&mut self, event: &Either<TA, TB>, cores: usize) -> usize {
        match event {
            Either::Left(a) => self.0.core_of(a, cores),
            Either::Right(b) => self.1.core_of(b, cores),
        }
    }
    #[inline(always)]
    fn timestamp(&self, event: &Either<TA, TB>) -> Option<Timestamp> {
        match event {
            Either::Left(a) => self.0.timestamp(a),
            Either::Right(b) => self.1.timestamp(b),
        }
    }
    fn out_of_orderness(&self) -> Timestamp {
        self.0.out_of_orderness().max(self.1.out_of_orderness())
    }
    fn any_core(&self) -> bool {
        self.0.any_core() && self.1.any_core()
    }
}

impl<TA, TB, A, B> IngressRoute<Either<TA, TB>> for Ports<A, B>
where
    A: IngressRoute<TA>,
    B: IngressRoute<TB>,
{
    fn is_processing_time(&self) -> bool {
        self.0.is_processing_time() || self.1.is_processing_time()
    }
    /// The longer of the two: an input is idle once neither input's
    /// timeout would still count it.
    fn idle_timeout(&self) -> Option<std::time::Duration> {
        match (self.0.idle_timeout(), self.1.idle_timeout()) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        }
    }
}
