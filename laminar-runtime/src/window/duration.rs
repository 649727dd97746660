//! Durations that `stream!` could not check at compile time.
//!
//! A duration literal (`10s`) is checked by the macro and reaches the
//! builder as a constant. A duration written as an expression
//! (`tumbling(cfg.window)`, `lateness = LATENESS`) is a
//! [`std::time::Duration`] known only when the pipeline is made: the
//! generated code converts it here, and the first problem found is kept by
//! the builder and reported by
//! [`RuntimeBuilder::build`](crate::RuntimeBuilder::build) as
//! [`BuildError::Duration`](crate::BuildError::Duration).

use std::time::Duration;

use crate::message::Timestamp;

/// What is wrong with a duration given as an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// A duration that must be positive is under one millisecond.
    #[error("{what} must be at least 1 ms, but is {given:?}")]
    Zero {
        /// Which duration: `"size"`, `"slide"`, `"gap"`, `"idle"`.
        what: &'static str,
        /// The duration given.
        given: Duration,
    },
    /// A sliding window whose slide is larger than its size: events
    /// between two windows would belong to none.
    #[error("a sliding window's slide ({slide} ms) must not exceed its size ({size} ms)")]
    SlideExceedsSize {
        /// The window's size, in milliseconds.
        size: Timestamp,
        /// Its slide, in milliseconds.
        slide: Timestamp,
    },
    /// More milliseconds than a [`Timestamp`] holds.
    #[error("{what} of {given:?} is longer than u64 milliseconds can hold")]
    TooLong {
        /// Which duration.
        what: &'static str,
        /// The duration given.
        given: Duration,
    },
}

/// Converts a stage's durations to milliseconds and keeps the first problem.
/// Generated code only; not a public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct DurationCheck {
    stage: &'static str,
    error: Option<DurationError>,
}

impl DurationCheck {
    /// A check for the stage written as `stage`.
    #[inline]
    pub fn new(stage: &'static str) -> Self {
        DurationCheck { stage, error: None }
    }

    /// `given` in whole milliseconds (any fraction of a millisecond is
    /// dropped). Under 1 ms is an error unless `zero_ok`; on an error the
    /// result is 1, so that the stage can still be made (it never runs).
    #[inline]
    pub fn millis(&mut self, what: &'static str, given: Duration, zero_ok: bool) -> Timestamp {
        let checked = match Timestamp::try_from(given.as_millis()) {
            Err(_) => Err(DurationError::TooLong { what, given }),
            Ok(0) if !zero_ok => Err(DurationError::Zero { what, given }),
            Ok(ms) => Ok(ms),
        };
        checked.unwrap_or_else(|e| {
            self.error.get_or_insert(e);
            1
        })
    }

    /// Checks that a sliding window's `slide` does not exceed its `size`.
    #[inline]
    pub fn slide_within(&mut self, size: Timestamp, slide: Timestamp) {
        if slide > size {
            self.error
                .get_or_insert(DurationError::SlideExceedsSize { size, slide });
        }
    }

    /// The stage and its first problem, if any.
    #[inline]
    pub fn finish(self) -> Option<(&'static str, DurationError)> {
        self.error.map(|e| (self.stage, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_keeps_the_first_problem() {
        let mut c = DurationCheck::new("window(tumbling(w))");
        assert_eq!(c.millis("size", Duration::from_secs(2), false), 2_000);
        assert_eq!(c.millis("lateness", Duration::ZERO, true), 0);
        assert_eq!(c.millis("size", Duration::from_micros(1_500), false), 1);
        assert!(c.finish().is_none());

        let mut c = DurationCheck::new("window(sliding(a, b))");
        assert_eq!(c.millis("size", Duration::from_micros(999), false), 1);
        c.slide_within(1, 5);
        assert_eq!(
            c.finish(),
            Some((
                "window(sliding(a, b))",
                DurationError::Zero {
                    what: "size",
                    given: Duration::from_micros(999)
                }
            ))
        );

        let mut c = DurationCheck::new("s");
        c.millis("gap", Duration::MAX, false);
        assert!(matches!(
            c.finish(),
            Some((_, DurationError::TooLong { what: "gap", .. }))
        ));
    }
}
