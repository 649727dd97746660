//! Testing a pipeline without the runtime's threads, after Flink's operator
//! test harnesses.
//!
//! A [`Harness`] runs a `stream!` pipeline's chain on the calling thread:
//! the same chain the runtime runs on each core (core 0's instance, opened
//! as `build` opens it), with no worker thread, queue or wall clock in the
//! way. The test pushes events and decides when time moves:
//!
//! - [`Harness::emit_watermark`] sends the watermark an input handle would
//!   send now: the highest timestamp pushed, by the pipeline's own
//!   `event_time` extractor, minus its `lateness`;
//! - [`Harness::advance_watermark`] moves the watermark by hand;
//! - [`Harness::set_processing_time`] and
//!   [`Harness::advance_processing_time`] move the processing-time clock,
//!   which `processing_time()` windows and timers follow;
//! - [`Harness::end_input`] ends the input, as `finish` does.
//!
//! Results ([`Harness::take_output`]) and late events
//! ([`Harness::take_late`]) come back in the order the chain emitted them,
//! so a test reads exactly what a step produced. Nothing is sent on its
//! own: no watermark every 64 events, no tick of the wall clock.
//!
//! # A window
//!
//! ```
//! use laminar::prelude::*;
//! use laminar::testing::Harness;
//!
//! #[derive(Clone, Debug, PartialEq)]
//! struct Click {
//!     page: &'static str,
//!     at: u64,
//! }
//! let click = |page, at| Click { page, at };
//!
//! let p = stream! {
//!     Click
//!     -> event_time(|c| c.at, lateness = 5ms)
//!     -> key_by(|c| c.page)
//!     -> window(tumbling(10ms))
//!     -> aggregate(count())
//! };
//! let mut h = Harness::new(p)?;
//! h.push_all([click("home", 1), click("home", 4), click("docs", 9), click("home", 12)]);
//! // No watermark was sent: nothing fires.
//! assert!(h.take_output().is_empty());
//! // The one an input handle would send now, 12 - 5: [0, 10) is still open.
//! assert_eq!(h.emit_watermark(), Some(7));
//! assert!(h.take_output().is_empty());
//! // By hand, to its end: it fires, one result per key.
//! h.advance_watermark(10);
//! let mut fired: Vec<_> = h.take_output().into_iter().map(|w| (w.key, w.start, w.value)).collect();
//! fired.sort();
//! assert_eq!(fired, [("docs", 0, 1), ("home", 0, 2)]);
//! // [0, 10) is final now (no allowed lateness): an event for it is late.
//! h.push(click("home", 3));
//! assert_eq!(h.take_late(), [click("home", 3)]);
//! assert_eq!(h.counts().late, 1);
//! // The end of input fires what is open.
//! h.end_input();
//! let last = h.take_output();
//! assert_eq!((last[0].key, last[0].start, last[0].end, last[0].value), ("home", 10, 20, 1));
//! # Ok::<(), laminar::BuildError>(())
//! ```
//!
//! # A `process` timer
//!
//! ```
//! use laminar::prelude::*;
//! use laminar::testing::Harness;
//!
//! // (user, time): each user's count of events, reported 30 ms after the
//! // user's first one.
//! let p = stream! {
//!     (u64, u64)
//!     -> event_time(|e| e.1)
//!     -> key_by(|e| e.0)
//!     -> process(
//!         |_user, e, state, out| {
//!             if state.is_none() {
//!                 out.set_timer(e.1 + 30);
//!             }
//!             *state = Some(state.unwrap_or(0u32) + 1);
//!         },
//!         on_timer = |user, at, state, out| {
//!             out.emit((*user, at, state.take().unwrap_or(0)));
//!         }
//!     )
//! };
//! let mut h = Harness::new(p)?;
//! h.push_all([(1, 0), (1, 10), (2, 20)]);
//! h.advance_watermark(29);
//! assert!(h.take_output().is_empty(), "user 1's timer is at 30");
//! h.advance_watermark(30);
//! assert_eq!(h.take_output(), [(1, 30, 2)]);
//! // Timers still pending run at the end of input.
//! h.end_input();
//! assert_eq!(h.take_output(), [(2, 50, 1)]);
//! # Ok::<(), laminar::BuildError>(())
//! ```
//!
//! # Processing time
//!
//! A `processing_time()` pipeline's windows read the harness's clock, and
//! its watermark follows that clock, as a core's follows the wall clock.
//!
//! ```
//! use std::time::Duration;
//!
//! use laminar::prelude::*;
//! use laminar::testing::Harness;
//!
//! let p = stream! {
//!     &'static str
//!     -> processing_time()
//!     -> window_all(tumbling(1s))
//!     -> aggregate(count())
//! };
//! let mut h = Harness::new(p)?;
//! h.set_processing_time(10_000);
//! h.push_all(["a", "b"]);
//! h.advance_processing_time(Duration::from_millis(500));
//! h.push("c");
//! assert!(h.take_output().is_empty());
//! h.advance_processing_time(Duration::from_millis(500));
//! let fired = h.take_output();
//! assert_eq!((fired[0].start, fired[0].end, fired[0].value), (10_000, 11_000, 3));
//! # Ok::<(), laminar::BuildError>(())
//! ```

pub use laminar_runtime::testing::{Counts, Harness};
pub use laminar_runtime::time::{ManualClock, ProcessingClock};
