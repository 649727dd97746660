//! Sinks that run inside the cores and commit with the checkpoints: each
//! core writes its results to its own [`SinkWriter`], which stages them; at
//! a checkpoint's barrier the writer makes what it staged durable but not
//! yet visible ([`SinkWriter::pre_commit`]), and once the checkpoint is
//! complete (its manifest on disk) the runtime makes it visible
//! ([`Committer::commit`]). That is the two-phase commit that makes a sink
//! exactly-once: a result is visible only when the state and the source
//! positions that produced it are in a complete checkpoint, so a run that
//! crashes and recovers from that checkpoint neither loses it nor writes
//! it twice.
//!
//! Recovery follows one rule: a transaction the last complete manifest
//! records as prepared is committed again (commits are idempotent), and
//! every other prepared transaction is aborted
//! ([`Committer::abort_others`]); the events behind it are replayed from
//! the sources' recorded positions.
//!
//! Two sinks come with the runtime:
//!
//! - `file::FileSink` (feature `json`): JSON lines in
//!   files that become visible, one per core and checkpoint, when their
//!   checkpoint commits: exactly-once output for any serde type.
//! - [`idempotent`]: calls an upsert of the user's for each result right
//!   away; at-least-once delivery, and an exactly-once effect when the
//!   upsert is keyed by something deterministic.

use std::sync::Arc;

#[cfg(feature = "json")]
pub mod file;
mod idempotent;

pub use idempotent::{Idempotent, IdempotentWriter, idempotent};

/// A transaction a writer prepared at a checkpoint: what the manifest
/// records, and all a [`Committer`] needs to commit or abort it after a
/// crash (a staging file's name, a transaction id).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Prepared {
    /// The checkpoint it belongs to.
    pub epoch: u64,
    /// The core whose writer prepared it.
    pub core: u32,
    /// The sink's own description of it.
    pub data: Vec<u8>,
}

/// Why a sink could not write, prepare, commit or abort.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// A file or connection failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being written, renamed or removed.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A result could not be encoded.
    #[error("encoding a result: {0}")]
    Encode(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A transaction's description is not one this sink wrote.
    #[error("not a transaction of this sink: {0}")]
    BadTransaction(String),
    /// A transaction to commit is gone: its sink has neither its staged
    /// data nor its committed result (aborted, or removed by hand). It
    /// cannot be made visible, and the events behind it are past the
    /// checkpoint that recorded it: the output lost them.
    #[error("transaction lost, neither staged nor committed: {0}")]
    Missing(String),
    /// [`SinkWriter::pre_commit`] was called with an epoch that is not
    /// greater than the last one the writer prepared (or recovered from).
    #[error("pre-commit of epoch {epoch} after epoch {last}: epochs must grow")]
    EpochOrder {
        /// The epoch asked for.
        epoch: u64,
        /// The last epoch prepared, or recovered from.
        last: u64,
    },
}

/// A sink: one [`SinkWriter`] per core, and one [`Committer`] that the
/// checkpoint coordinator and recovery share.
pub trait Sink<T>: Send + 'static {
    /// What each core writes to.
    type Writer: SinkWriter<T>;

    /// The writer of core `core` of `cores`, made once per core when the
    /// sink is attached. Its transactions continue after `epoch`, the last
    /// checkpoint the run recovered from (0 for a new run).
    fn writer(&mut self, core: usize, cores: usize, epoch: u64) -> Result<Self::Writer, SinkError>;

    /// What commits and aborts this sink's transactions.
    fn committer(&self) -> Arc<dyn Committer>;
}

/// One core's side of a [`Sink`], written on that core's thread.
pub trait SinkWriter<T>: Send + 'static {
    /// Stages one result.
    fn write(&mut self, item: T) -> Result<(), SinkError>;

    /// Checkpoint `epoch`'s barrier reached the sink on this core: makes
    /// everything written since the last pre-commit durable, still
    /// invisible, and describes it. Called for every checkpoint, also when
    /// nothing was written: an empty transaction is recorded and committed
    /// like any other, so that no checkpoint waits on a commit that was
    /// never persisted.
    fn pre_commit(&mut self, epoch: u64) -> Result<Prepared, SinkError>;
}

/// Commits and aborts a sink's prepared transactions; called by the
/// checkpoint coordinator once a checkpoint is complete, and by recovery.
pub trait Committer: Send + Sync + 'static {
    /// Makes `txn` visible. Recovery calls it again for a transaction the
    /// last complete checkpoint recorded, which may have been committed
    /// already: committing twice must change nothing.
    fn commit(&self, txn: &Prepared) -> Result<(), SinkError>;

    /// Discards `txn`: a checkpoint that failed after some writers
    /// prepared rolls their transactions back.
    fn abort(&self, txn: &Prepared) -> Result<(), SinkError>;

    /// Recovery: discards every prepared transaction that is not in `keep`
    /// (those the last complete checkpoint recorded, committed first).
    fn abort_others(&self, keep: &[Prepared]) -> Result<(), SinkError>;
}
