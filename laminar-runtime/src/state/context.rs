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
    /// What this core gets back from the checkpoint a run recovers from.
    pub(crate) restored: Option<crate::sync::Arc<crate::checkpoint::Restored>>,
    /// Stages named so far by [`stage_name`](Self::stage_name).
    pub(crate) named: core::cell::Cell<u32>,
}

impl OpenContext {
    /// The number of cores the chain runs on, one instance each.
    pub fn cores(&self) -> usize {
        self.fabric.cores()
    }

    /// In a run that recovers from a checkpoint, what this core gets back:
    /// the entries of the key groups it owns now. A stateful stage replaces
    /// its state with its section (empty if the checkpoint has none: state
    /// written after the checkpoint must not count).
    pub fn restored(&self) -> Option<&crate::checkpoint::Restored> {
        self.restored.as_deref()
    }

    /// A name for a stage whose pipeline gave it none (a window), under
    /// which its state goes into checkpoints: `kind` and the stage's rank
    /// among those the chain opened so far. Chains open their stages in
    /// their order, so the same pipeline names them the same on every core
    /// and in every run.
    pub fn stage_name(&self, kind: &str) -> String {
        let n = self.named.get();
        self.named.set(n + 1);
        format!("{kind}-{n}")
    }
}
