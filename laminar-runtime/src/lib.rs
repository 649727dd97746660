//! The runtime under Laminar pipelines.
//!
//! One worker thread per core, each owning its own instance of a pipeline's
//! operator chain. Events enter through typed [`Input`] handles, are routed to
//! a core by key hash ([`routing::ByKey`]) or round-robin, cross to the core in
//! a lock-free [`spsc`] ring gated by [`credit`]s, and leave through per-core
//! outboxes that the user drains into a buffer of their own.
//!
//! Users normally reach this crate through the `laminar` facade and its
//! `stream!` macro; everything here is usable by hand as well.
//!
//! ```
//! use laminar_runtime::operator::{Emit, Operator};
//! use laminar_runtime::pipeline::Pipeline;
//! use laminar_runtime::routing::ByKey;
//! use laminar_runtime::Runtime;
//!
//! #[derive(Clone)]
//! struct CountPerKey;
//! struct Counter(std::collections::HashMap<u64, u64>);
//! impl Operator for Counter {
//!     type In = u64;
//!     type Out = (u64, u64);
//!     fn on_event<E: Emit<(u64, u64)>>(&mut self, k: u64, _out: &mut E) {
//!         *self.0.entry(k).or_default() += 1;
//!     }
//!     fn on_end<E: Emit<(u64, u64)>>(&mut self, out: &mut E) {
//!         for (&k, &n) in &self.0 { out.emit((k, n)); }
//!     }
//! }
//! fn key(k: &u64) -> u64 { *k }
//! impl Pipeline for CountPerKey {
//!     type In = u64;
//!     type Out = (u64, u64);
//!     type Op = Counter;
//!     type Route = ByKey<fn(&u64) -> u64>;
//!     fn route(&self) -> Self::Route { ByKey::new(key as fn(&u64) -> u64) }
//!     fn instantiate(&self, _core: usize) -> Counter { Counter(Default::default()) }
//! }
//!
//! let mut rt = Runtime::builder().cores(2).build(CountPerKey)?;
//! let mut input = rt.input();
//! input.submit_iter([1, 2, 1, 3, 1])?;
//! drop(input);
//! let mut out = Vec::new();
//! rt.finish_into(&mut out)?;
//! out.sort();
//! // Every key was counted on exactly one core.
//! assert_eq!(out, [(1, 3), (2, 1), (3, 1)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod channel;
pub mod checkpoint;
mod config;
pub mod credit;
mod error;
pub mod exchange;
pub mod failpoint;
mod idle;
pub mod ingress;
mod input;
pub mod key;
pub mod message;
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod operator;
mod outbox;
mod output;
pub mod output_port;
pub mod pipeline;
pub mod port;
mod progress;
mod report;
mod room;
pub mod routing;
mod runtime;
mod shared;
pub mod sink;
pub mod source;
// The one module with `unsafe` code (raw slots, `MaybeUninit` reads and
// writes behind acquire/release indices): the crate denies `unsafe_code`, as
// the workspace does, and allows it here alone. Every block holds one unsafe
// operation with its SAFETY comment, and the ring is model-checked under loom.
#[allow(unsafe_code)]
pub mod spsc;
pub mod stage;
pub mod state;
mod sync;
pub mod testing;
pub mod time;
pub mod timer;
mod trace;
pub mod wal;
pub mod window;
mod worker;

pub use config::{Config, Policy};
pub use error::{BuildError, CheckpointError, RuntimeError, SubmitError};
pub use input::{Admission, Admitted, Input};
pub use message::{Message, Timestamp};
pub use operator::{Discard, Emit, ExchangeCounts, Operator, Polled};
pub use output::{Output, OutputTaken, RecvError, RecvTimeoutError, TryRecvError};
pub use pipeline::Pipeline;
pub use progress::Progress;
pub use report::{CoreReport, Pinning, Report, Warning};
pub use routing::{ByKey, KeyGroups, RoundRobin, Route, ToOne};
pub use runtime::{MAX_CORES, MAX_RING_CAPACITY, Runtime, RuntimeBuilder, Unbuilt};
