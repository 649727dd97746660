//! The runtime's settings and their defaults.

/// What a full channel does with a new event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Policy {
    /// Wait for credit: spin briefly, then park until the core frees some.
    #[default]
    Block,
    /// Discard the event and count it in the report.
    Drop,
    /// Hand the event back in [`SubmitError::Backpressure`](crate::SubmitError).
    Error,
}

/// Settings a [`RuntimeBuilder`](crate::RuntimeBuilder) collects.
#[derive(Clone, Debug)]
pub struct Config {
    /// Worker threads, one per core.
    pub cores: usize,
    /// Pin each worker to its own CPU.
    pub pin_cores: bool,
    /// Slots per ingress ring (rounded up to a power of two).
    pub queue_capacity: usize,
    /// Most messages a worker takes from one ring before it looks at the next.
    pub batch_size: usize,
    /// Slots per outbox ring.
    pub outbox_capacity: usize,
    /// What a submit does when its core has no credit.
    pub policy: Policy,
    /// Where stateful stages keep their state.
    pub store: crate::state::StoreChoice,
    /// How far, in event time (ms), a core's source may read ahead of the
    /// slowest source feeding that core before it waits for it.
    pub max_source_skew: crate::Timestamp,
    /// Where checkpoints go; `None`: checkpoints are barriers only, and
    /// nothing is kept.
    pub checkpoint_dir: Option<std::path::PathBuf>,
    /// Take a checkpoint this often.
    pub checkpoint_every: Option<std::time::Duration>,
    /// Restore the last checkpoint in `checkpoint_dir` at build.
    pub recover: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            pin_cores: false,
            queue_capacity: 4096,
            batch_size: 256,
            outbox_capacity: 8192,
            policy: Policy::Block,
            store: crate::state::StoreChoice::Memory,
            max_source_skew: 1_000,
            checkpoint_dir: None,
            checkpoint_every: None,
            recover: false,
        }
    }
}
