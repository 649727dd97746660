//! What an operator learns when it opens its state.

use super::StoreChoice;

/// What [`Operator::open`](crate::Operator::open) learns about where it runs.
#[derive(Clone, Debug)]
pub struct OpenContext {
    /// The core, `0..cores`.
    pub core: usize,
    /// Where stateful stages keep their state.
    pub store: StoreChoice,
    /// Where processing-time stages read the time: the wall clock in the
    /// runtime, a [`ManualClock`](crate::time::ManualClock) in the test
    /// harness.
    pub clock: crate::time::ProcessingClock,
    /// The run's exchanges, which a chain's exchanges join as they open.
    pub(crate) fabric: crate::sync::Arc<crate::exchange::Fabric>,
    /// The pipeline's idle timeout: after it, a silent stream into an
    /// exchange stops holding the time after it back.
    pub(crate) idle_timeout: Option<std::time::Duration>,
}

impl OpenContext {
    /// The number of cores the chain runs on, one instance each.
    pub fn cores(&self) -> usize {
        self.fabric.cores()
    }
}
