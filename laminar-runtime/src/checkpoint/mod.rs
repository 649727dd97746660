//! Checkpoints: aligned barriers, per-core snapshots of every stateful
//! stage by key group, a manifest written last, and the two-phase commit
//! of the sinks; and recovery from the last checkpoint on any number of
//! cores.
//!
//! The durable order of checkpoint `n`:
//!
//! 1. each core, once its whole chain is through barrier `n`, writes its
//!    snapshot file (the stages' state by key group, and the positions its
//!    sources had when the barrier entered the chain) and fsyncs it, then
//!    pre-commits its sink writer;
//! 2. the coordinator writes the manifest (every snapshot file with its
//!    length and checksum, and every prepared sink transaction) to a
//!    temporary name, fsyncs it, renames it into place and fsyncs the
//!    directory: from here on the checkpoint counts;
//! 3. it commits the sinks' transactions;
//! 4. it marks the checkpoint complete and removes the older ones.
//!
//! Recovery takes the last manifest in place, commits its transactions
//! again (a commit is idempotent: a crash between 2 and 4 loses nothing),
//! aborts every other prepared transaction, deals the snapshot entries out
//! by key group to the cores of the new run, and seeks every replayable
//! source to its recorded positions.

mod coordinator;
mod snapshot;
mod store;

pub(crate) use coordinator::{Coordinator, CoreAck};
pub use snapshot::{Restored, Snapshot, StageId, StageState, types_of};
pub use store::{CheckpointDir, FileEntry, Manifest, StoreError};

/// What a stage whose state checkpoints do not capture yet does at a
/// barrier: in a run that keeps checkpoints, it stops the run
/// ([`StateError::NotCheckpointable`](crate::state::StateError::NotCheckpointable))
/// rather than let a checkpoint restore it empty.
pub fn refuse<O, E: crate::Emit<O>>(stage: &'static str, out: &mut E) {
    if out.checkpoint().is_some() {
        out.fail(crate::state::StateError::NotCheckpointable { stage });
    }
}
