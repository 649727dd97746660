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
//! # Fault tolerance
//!
//! With a checkpoint directory ([`RuntimeBuilder::checkpoint_dir`]), a run
//! takes checkpoints: on demand ([`Runtime::checkpoint`], which returns
//! once the checkpoint is durable) or on an interval
//! ([`RuntimeBuilder::checkpoint_every`]), and a last one as
//! [`finish`](Runtime::finish) ends the run. A barrier enters every core
//! after what its sources read so far, crosses every exchange in band, and
//! each stage writes its state as the barrier reaches it; each core then
//! fsyncs its snapshot and pre-commits its sink, a manifest written last
//! makes the checkpoint count, and only then are the sink's transactions
//! committed ([`checkpoint`] has the order). A run built with
//! [`recover(true)`](RuntimeBuilder::recover) starts from the last
//! checkpoint, on any number of cores: key groups move to the cores that
//! own them now.
//!
//! ```
//! use laminar::prelude::*;
//! use laminar::source;
//!
//! let dir = std::env::temp_dir().join(format!("laminar-doc-ft-{}", std::process::id()));
//! let counts = || stream! {
//!     (u64, u64)
//!     -> key_by(|e| e.0)
//!     -> fold(0u64, |n, _e| n + 1)
//! };
//! let mut rt = Runtime::builder().cores(2).checkpoint_dir(&dir).build(counts())?;
//! rt.attach(source::generator(2, 1_000, |p, i| (i % 10, u64::from(p))));
//! while !rt.sources_done() {
//!     std::thread::sleep(std::time::Duration::from_millis(1));
//! }
//! let epoch = rt.checkpoint()?; // durable when it returns
//! drop(rt); // as a crash would: the state is in the checkpoint
//! let rt = Runtime::builder().cores(1).checkpoint_dir(&dir).recover(true).build(counts())?;
//! // The generator is replayable: recovered, it resumes after the
//! // checkpoint (here, at its end), and every key's count goes on from 200.
//! rt.attach(source::generator(2, 1_000, |p, i| (i % 10, u64::from(p))));
//! let mut out = Vec::new();
//! rt.finish_into(&mut out)?;
//! assert!(out.is_empty() && epoch >= 1);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What survives a crash (a `kill -9` at any instant), and what does not:
//!
//! | part | after recovery |
//! |---|---|
//! | keyed state of `reduce`, `fold`, `process` (and `process` timers) | as of the last checkpoint, on any core count |
//! | open windows and sessions (`window`, `window_all`) with built-in aggregates | as of the last checkpoint; a window that fired before it does not fire again |
//! | joins, custom aggregates without `Aggregate::save`/`load`, window keys other than numbers, `bool` or `String` | **not kept**: a run with a checkpoint directory stops at its first barrier with [`StateError::NotCheckpointable`] rather than restore them empty |
//! | replayable sources ([`source::json_lines`](source), [`source::csv`](source), [`source::generator`](source), any [`Source`](source::Source) with `seek`) | read again from the positions of the last checkpoint: each event after it once more, none before it |
//! | other sources ([`source::from_fn`](source), slices) and [`Input::submit`] | **not replayed**: what they gave after the last checkpoint is lost with the crash |
//! | pushed input through a write-ahead log ([`wal::log`](wal): a [`WalInput`](wal::WalInput) and its replayable source) | every acknowledged submit replayed from the checkpoint's position: across process crashes under every sync policy, across power loss under `SyncPolicy::Always` (see [`wal`] for `Batch` and `Never`) |
//! | an exactly-once sink ([`sink::file::FileSink`](sink), any two-phase [`sink::Sink`]) | each result visible once: committed only once its checkpoint is durable, committed again (idempotently) at recovery if the crash came before, and what was staged after the last checkpoint is aborted and produced again |
//! | [`sink::idempotent`](sink) | at least once: results after the last checkpoint are written again, so the upsert must be keyed by something the results determine |
//! | the output handle ([`Runtime::drain`], [`Output`]) | at least once across a crash: results after the last checkpoint come again |
//!
//! Limits: snapshots are full, not incremental; a state type that changed
//! since the checkpoint is a [`BuildError`] at build, never read as
//! garbage; a core that reads several partitions keeps one watermark for
//! them, and after recovery they resume where each was (up to
//! `max_source_skew` apart), so the lateness must cover that skew or the
//! events of the slower partition arrive late (counted in the report's
//! `late`). The kill -9 harness (`examples/tests/kill9.rs`,
//! `scripts/kill9.sh 100`) checks exactly-once end to end.
//!
//! # Optional features
//!
//! All are off by default; without them Laminar depends on no async,
//! logging or JSON crate.
//!
//! - **`json`**: JSON-lines files, `source::json_lines` and the
//!   exactly-once `sink::file::FileSink`. (serde_json's `PartialEq` impls
//!   for the primitives can make an unannotated `assert_eq!(x,
//!   iter.sum())` ambiguous: write `.sum::<u64>()`.)
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
    credit, message, operator, pipeline, port, routing, sink, source, spsc, wal,
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
