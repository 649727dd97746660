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
}
