//! Laminar: compile-time dataflows for event streams.
//!
//! Pipelines are written in the [`stream!`] macro, checked at compile time,
//! and run as monomorphized operator chains, one instance per core, on a
//! thread-per-core [`Runtime`] that owns the queues, the routing and the
//! backpressure.
//!
//! ```
//! use laminar::prelude::*;
//!
//! #[derive(Clone, Debug)]
//! struct Bid { auction: u64, price: u64 }
//!
//! let q = stream! {
//!     Bid
//!     -> key_by(|b| b.auction)
//!     -> filter(|b| b.price > 10)
//!     -> map(|b| (b.auction, b.price))
//! };
//! let mut rt = Runtime::builder().cores(2).build(q)?;
//! let mut input = rt.input();
//! for i in 0..100 {
//!     input.submit(Bid { auction: i % 7, price: i })?;
//! }
//! drop(input);
//! let mut out = Vec::new();
//! let report = rt.finish_into(&mut out)?;
//! assert_eq!(out.len(), 89);
//! assert_eq!(report.events_in(), 100);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Pipelines are tested without the runtime's threads in [`testing`].
//!
//! # Optional features
//!
//! Both are off by default; without them Laminar depends on no async or
//! logging crate.
//!
//! - **`tokio`**: async handles for services. Every [`Output`] (results and
//!   late events) is a `futures_core::Stream` and has `recv_async`;
//!   [`Input`] has `submit_async` and `submit_all_async`, which wait for
//!   credit as a task, never blocking a thread, and honour the
//!   backpressure [`Policy`]. `finish` still joins threads: call it from
//!   `tokio::task::spawn_blocking`. The `http_service` example puts a
//!   windowed pipeline behind an axum endpoint.
//! - **`tracing`**: a `laminar_run` span per run and a `laminar_core` span
//!   per core, with events for the build (or its failure), the start, each
//!   core's start and finish, a core's failure with its cause, and the
//!   finish with the run's totals; nothing per event. Worker threads log to
//!   the subscriber that was the default where the runtime was built.

pub mod testing;

#[doc = include_str!("stream.md")]
pub use laminar_macros::stream;

pub use laminar_runtime::CheckpointError;
pub use laminar_runtime::stage::bounds::{Event, HashEq, Key, NoOutput, StageFn};
pub use laminar_runtime::stage::builder::Built;
pub use laminar_runtime::stage::stateful::Collector;
pub use laminar_runtime::stage::{Change, Changelog, JoinKey};
pub use laminar_runtime::state::{Codec, MemStore, Serde, StateError, StateStore, StoreChoice};
pub use laminar_runtime::window::aggregate::{Aggregate, SumFn, Summable};
pub use laminar_runtime::window::duration::DurationError;
pub use laminar_runtime::window::{EmitPolicy, IntoTimestamp, TimestampFn, Windowed};
pub use laminar_runtime::{
    Admission, Admitted, BuildError, ByKey, Config, CoreReport, Discard, Emit, Input, KeyGroups,
    MAX_CORES, MAX_RING_CAPACITY, Message, Operator, Output, OutputTaken, Pinning, Pipeline,
    Policy, Progress, RecvError, RecvTimeoutError, Report, RoundRobin, Route, Runtime,
    RuntimeBuilder, RuntimeError, SubmitError, Timestamp, TryRecvError, Warning, checkpoint,
    credit, message, operator, pipeline, port, routing, sink, source, spsc,
};

/// Everything a pipeline author needs in scope.
pub mod prelude {
    pub use crate::stream;
    pub use crate::{
        Admission, Aggregate, Change, Emit, Input, NoOutput, Operator, Output, Pipeline, Policy,
        Report, Runtime, SubmitError, Windowed,
    };
}

/// The typed builder a `stream!` pipeline expands to.
///
/// Not meant to be called by hand, and not a stable API: it is public so
/// that, when a stage does not type-check, rustc's notes name the builder
/// method whose bound failed, and the aggregate and window types a failed
/// bound passed through, by this path (`laminar::dsl::Builder::<..>::map`,
/// `Max<..>`) rather than by a hidden one (rustc prefers a path that is not
/// `#[doc(hidden)]`) or by the runtime crate's. The bounds themselves are
/// stated in the crate's public traits ([`Key`], [`StageFn`], [`Event`],
/// [`Codec`], [`SumFn`], [`TimestampFn`], [`Aggregate`]).
pub mod dsl {
    pub use laminar_runtime::exchange::Repartition;
    pub use laminar_runtime::key::{KeyFn, KeyOf};
    pub use laminar_runtime::port::Either;
    pub use laminar_runtime::stage::Identity;
    pub use laminar_runtime::stage::builder::{Builder, source};
    pub use laminar_runtime::stage::stateful::{Fold, Process, Reduce};
    pub use laminar_runtime::stage::timed::{ItemClock, Lift, OnValue, StampEnd, Timed};
    pub use laminar_runtime::window::aggregate::{Aggs, Avg, Count, First, Last, Max, Min, Sum};
    pub use laminar_runtime::window::aligned::AlignedWindow;
    pub use laminar_runtime::window::geometry::{Dynamic, Fixed};
    pub use laminar_runtime::window::session::SessionWindow;
    pub use laminar_runtime::window::two_phase::{MergeWindows, Partial};
    pub use laminar_runtime::window::{NoKey, NoTime};
}

/// What `stream!` expands to names the runtime only through this module, so
/// that users depend on one crate and the runtime's internals can move.
/// Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use laminar_runtime::port::Either;
    pub use laminar_runtime::stage::builder::{Builder, Built, Stub, source, stub};
    pub use laminar_runtime::stage::stateless::{
        Filter, FilterMap, FlatMap, ForEach, Inspect, Map,
    };
    pub use laminar_runtime::stage::{Identity, Then};
    pub use laminar_runtime::window::aggregate::Aggs;
    pub use laminar_runtime::window::duration::DurationCheck;
    pub use laminar_runtime::window::geometry::{Dynamic, Fixed};
    pub use laminar_runtime::window::{EmitPolicy, NoKey, NoTime};
}
