//! Laminar: compile-time dataflows for event streams.
//!
//! Pipelines are written in the [`stream!`] macro, checked at compile time,
//! and run as monomorphized operator chains, one instance per core, on a
//! thread-per-core [`Runtime`] that owns the queues, the routing and the
//! backpressure.

pub use laminar_runtime::{
    BuildError, ByKey, Config, CoreReport, Discard, Emit, Input, KeyGroups, Message, Operator,
    Pinning, Pipeline, Policy, Report, RoundRobin, Route, Runtime, RuntimeBuilder, RuntimeError,
    SubmitError, Timestamp, credit, message, operator, pipeline, routing, spsc,
};

/// Everything a pipeline author needs in scope.
pub mod prelude {
    pub use crate::{Emit, Input, Operator, Pipeline, Policy, Report, Runtime, SubmitError};
}
