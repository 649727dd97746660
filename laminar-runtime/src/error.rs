//! The runtime's typed errors. Every error that concerns an event carries the
//! event, so a caller can retry, reroute or log it: nothing is lost in an `Err`.

use core::fmt;

use crate::report::Report;

/// Why a runtime could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// `cores(0)`.
    #[error("a runtime needs at least one core; call `.cores(n)` with n >= 1")]
    ZeroCores,
    /// More cores than [`MAX_CORES`](crate::MAX_CORES).
    #[error(
        "{cores} cores is too many; at most {max} (more cores than CPUs only adds threads that take turns)"
    )]
    TooManyCores {
        /// The cores asked for.
        cores: usize,
        /// The most accepted.
        max: usize,
    },
    /// `outbox_capacity(0)`.
    #[error(
        "outbox capacity 0 leaves no room for a result; call `.outbox_capacity(n)` with n >= 1"
    )]
    ZeroOutbox,
    /// `batch_size(0)`.
    #[error("batch size 0 would never take a message; call `.batch_size(n)` with n >= 1")]
    ZeroBatch,
    /// A queue too small for the credits it must carry.
    #[error("queue capacity {0} is too small; it must be at least 2")]
    QueueTooSmall(usize),
    /// A queue or outbox capacity above [`MAX_RING_CAPACITY`](crate::MAX_RING_CAPACITY).
    #[error("{what} capacity {capacity} is too large; at most {max} slots")]
    RingTooLarge {
        /// `"queue"` or `"outbox"`: the builder setting that was too large.
        what: &'static str,
        /// The capacity asked for.
        capacity: usize,
        /// The largest capacity accepted.
        max: usize,
    },
    /// The state directory, or a core's state store, could not be opened.
    #[error("{}: {source}", core.map_or("the state directory cannot be used".to_owned(), |c| format!("core {c} could not open its state")))]
    State {
        /// The core whose store failed; `None` for the directory itself.
        core: Option<usize>,
        /// What went wrong.
        #[source]
        source: crate::state::StateError,
    },
    /// Recovery could not restore the last checkpoint (its files, its
    /// sinks' transactions, or a source that cannot seek).
    #[error("recovery from the checkpoint directory failed: {0}")]
    Recover(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A duration the pipeline was given as an expression (`tumbling(cfg.window)`)
    /// cannot be used: `stage` is the stage as written in `stream!`.
    #[error("in `{stage}`: {what}")]
    Duration {
        /// The stage, as written.
        stage: &'static str,
        /// What is wrong with it.
        what: crate::window::duration::DurationError,
    },
    /// The operating system refused a worker thread.
    #[error("could not start the worker thread for core {core}: {source}")]
    Spawn {
        /// The core whose thread failed to start.
        core: usize,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// Why an event was not accepted. The event is inside; take it back with
/// [`SubmitError::into_inner`].
#[derive(PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError<T> {
    /// The runtime is finishing or finished; no input is taken any more.
    #[error("the runtime is closed to new input")]
    Closed(T),
    /// The `Error` backpressure policy: the target core has no credit now.
    #[error("core {core} has no credit for this event (backpressure policy `Error`)")]
    Backpressure {
        /// The event.
        event: T,
        /// The core it was routed to.
        core: usize,
    },
    /// A core failed; the runtime stops taking input. `finish()` says why.
    #[error("the runtime stopped after a core failed; call `finish()` for the cause")]
    Failed(T),
}

impl<T> SubmitError<T> {
    /// The event that was not accepted.
    pub fn into_inner(self) -> T {
        match self {
            SubmitError::Closed(e) | SubmitError::Failed(e) => e,
            SubmitError::Backpressure { event, .. } => event,
        }
    }

    /// The same refusal, with the event changed by `f`.
    ///
    /// ```
    /// use laminar_runtime::SubmitError;
    /// let e = SubmitError::Closed(2u8).map(u64::from);
    /// assert_eq!(e.into_inner(), 2u64);
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> SubmitError<U> {
        match self {
            SubmitError::Closed(e) => SubmitError::Closed(f(e)),
            SubmitError::Failed(e) => SubmitError::Failed(f(e)),
            SubmitError::Backpressure { event, core } => SubmitError::Backpressure {
                event: f(event),
                core,
            },
        }
    }
}

impl<T> fmt::Debug for SubmitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::Closed(_) => f.write_str("Closed(..)"),
            SubmitError::Backpressure { core, .. } => {
                write!(f, "Backpressure {{ core: {core}, .. }}")
            }
            SubmitError::Failed(_) => f.write_str("Failed(..)"),
        }
    }
}

/// Why a run ended badly. Every variant carries the run's [`Report`], so
/// what was submitted, processed, dropped and abandoned on each core is
/// known even after a failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// User code panicked on a core; the other cores were stopped.
    #[error("core {core} panicked: {message}")]
    CorePanicked {
        /// The core whose operator panicked.
        core: usize,
        /// The panic message.
        message: String,
        /// What each core did before the run stopped.
        report: Box<Report>,
    },
    /// A checkpoint could not be written (a snapshot, a manifest, a sink's
    /// pre-commit or commit), or recovery could not restore one; the
    /// cores were stopped. Recovery from the last complete checkpoint
    /// resumes the run.
    #[error("core {core} could not take a checkpoint: {source}")]
    Checkpoint {
        /// The core that failed.
        core: usize,
        /// What went wrong.
        #[source]
        source: CheckpointError,
        /// What each core did before the run stopped.
        report: Box<Report>,
    },
    /// A core could not write its state; the other cores were stopped.
    #[error("core {core} could not keep its state")]
    State {
        /// The core.
        core: usize,
        /// What went wrong.
        #[source]
        source: crate::state::StateError,
        /// What each core did before the run stopped.
        report: Box<Report>,
    },
}

impl RuntimeError {
    /// What each core did before the run stopped: submitted, processed,
    /// dropped and [`abandoned`](crate::CoreReport::abandoned) events.
    pub fn report(&self) -> &Report {
        match self {
            RuntimeError::CorePanicked { report, .. }
            | RuntimeError::State { report, .. }
            | RuntimeError::Checkpoint { report, .. } => report,
        }
    }
}

/// Why [`Runtime::checkpoint`](crate::Runtime::checkpoint) did not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// A core failed before its chain was through the barrier, or while it
    /// wrote its snapshot or prepared its sink; the run stops, and
    /// `finish()` says why. What the other cores prepared was rolled back.
    #[error("a core failed before the checkpoint completed; call `finish()` for the cause")]
    Failed,
    /// The checkpoint directory could not be written or read.
    #[error(transparent)]
    Store(#[from] crate::checkpoint::StoreError),
    /// A sink could not commit or abort a transaction.
    #[error("sink: {0}")]
    Sink(#[from] crate::sink::SinkError),
    /// The checkpoint's state could not be read back.
    #[error("checkpoint state: {0}")]
    State(#[from] crate::state::StateError),
    /// A source could not be moved to the positions the checkpoint
    /// recorded.
    #[error("source: {0}")]
    Source(#[from] crate::source::SourceError),
}
