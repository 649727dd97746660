//! A pipeline is a factory of operators: the runtime asks it for one
//! instance per core, and for the route its input handles use.

use crate::operator::Operator;

/// What `stream!` produces and [`Runtime::builder`](crate::Runtime::builder)
/// consumes.
///
/// ```
/// use laminar_runtime::operator::{Emit, Operator};
/// use laminar_runtime::pipeline::Pipeline;
/// use laminar_runtime::routing::RoundRobin;
///
/// struct Identity;
/// impl Operator for Identity {
///     type In = u64;
///     type Out = u64;
///     fn on_event<E: Emit<u64>>(&mut self, e: u64, out: &mut E) { out.emit(e) }
/// }
///
/// struct Passthrough;
/// impl Pipeline for Passthrough {
///     type In = u64;
///     type Out = u64;
///     type Op = Identity;
///     type Route = RoundRobin;
///     fn route(&self) -> RoundRobin { RoundRobin::default() }
///     fn instantiate(&self, _core: usize) -> Identity { Identity }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Laminar pipeline",
    label = "expected a pipeline here",
    note = "build one with `laminar::stream! {{ Type -> stage(...) -> ... }}`"
)]
pub trait Pipeline: Send + 'static {
    /// The events its inputs accept.
    type In: Send + 'static;
    /// What reaches its outboxes.
    type Out: Send + 'static;
    /// The operator chain each core runs.
    type Op: Operator<In = Self::In, Out = Self::Out>;
    /// How an input handle picks a core for each event.
    type Route: crate::routing::Route<Self::In>;

    /// A fresh route for a new input handle.
    fn route(&self) -> Self::Route;

    /// The chain for core `core`; closures are cloned, not shared.
    fn instantiate(&self, core: usize) -> Self::Op;

    /// A Mermaid flowchart of the pipeline, if it has one.
    fn describe(&self) -> &'static str {
        ""
    }

    /// Whether its windows run in processing time: then each core's
    /// watermark follows its wall clock instead of its inputs.
    fn processing_time(&self) -> bool {
        false
    }

    /// After how long without a message an input stops holding back a
    /// core's watermark.
    fn idle_timeout(&self) -> Option<std::time::Duration> {
        None
    }

    /// Whether the pipeline can run: a `stream!` pipeline whose durations
    /// were given as expressions says here if one of them is unusable.
    /// [`RuntimeBuilder::build`](crate::RuntimeBuilder::build) returns the
    /// error before it starts anything.
    fn check(&self) -> Result<(), crate::BuildError> {
        Ok(())
    }
}
