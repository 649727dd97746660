//! The checkpoint coordinator: once every core acknowledged a barrier with
//! its durable snapshot and its sink's prepared transaction, it writes the
//! manifest, commits the sinks and marks the checkpoint complete, in that
//! order; and at recovery it finishes what the last manifest started.

use std::sync::Arc;

use super::store::{CheckpointDir, FileEntry, Manifest};
use crate::error::CheckpointError;
use crate::failpoint::failpoint;
use crate::sink::{Committer, Prepared};

/// What a core reports once its chain is through a checkpoint's barrier.
#[derive(Debug, Clone)]
pub(crate) struct CoreAck {
    /// The checkpoint.
    pub(crate) epoch: u64,
    /// Its snapshot file, durable (none when the run keeps no directory).
    pub(crate) file: Option<FileEntry>,
    /// Its sink writer's transaction, durable and not yet visible.
    pub(crate) prepared: Option<Prepared>,
}

/// The last checkpoint's manifest and the snapshot files it names.
pub(crate) type Recovered = (Manifest, Vec<Vec<u8>>);

/// Takes checkpoints to the end of their durable order, one at a time.
pub(crate) struct Coordinator {
    pub(crate) dir: Option<CheckpointDir>,
    pub(crate) committer: Option<Arc<dyn Committer>>,
    /// The last epoch handed out: the next checkpoint takes a higher one,
    /// whether this one completed or not.
    pub(crate) last: u64,
}

impl core::fmt::Debug for Coordinator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Coordinator")
            .field("dir", &self.dir)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl Coordinator {
    /// The next checkpoint's number, taken for good: its directory is made
    /// before any barrier goes out, so that a checkpoint that fails before
    /// any core wrote a file still holds its number against the next run.
    pub(crate) fn next_epoch(&mut self) -> Result<u64, CheckpointError> {
        self.last += 1;
        if let Some(dir) = &self.dir {
            dir.reserve(self.last)?;
        }
        Ok(self.last)
    }

    /// Makes checkpoint `epoch` durable from the cores' acknowledgements:
    /// the manifest, then the sinks' commits, then the mark.
    pub(crate) fn complete(
        &mut self,
        epoch: u64,
        acks: Vec<CoreAck>,
        ended: bool,
    ) -> Result<(), CheckpointError> {
        let cores = acks.len() as u32;
        let mut files = Vec::with_capacity(acks.len());
        let mut prepared = Vec::new();
        for ack in acks {
            if ack.epoch != epoch {
                return Err(CheckpointError::Failed);
            }
            files.extend(ack.file);
            prepared.extend(ack.prepared);
        }
        let Some(dir) = &self.dir else {
            // No directory: nothing is durable, and a sink's transactions
            // become visible at once.
            return self.commit_all(&prepared);
        };
        let manifest = Manifest {
            epoch,
            cores,
            files,
            prepared,
            ended,
        };
        failpoint("checkpoint.before_manifest");
        dir.write_manifest(&manifest)?;
        failpoint("checkpoint.after_manifest");
        self.commit_all(&manifest.prepared)?;
        failpoint("checkpoint.after_commit");
        dir.mark_complete(epoch)?;
        Ok(())
    }

    fn commit_all(&self, prepared: &[Prepared]) -> Result<(), CheckpointError> {
        let Some(committer) = &self.committer else {
            return Ok(());
        };
        for txn in prepared {
            committer.commit(txn)?;
        }
        Ok(())
    }

    /// Rolls back what the cores prepared for a checkpoint that failed.
    pub(crate) fn abort(&self, acks: &[CoreAck]) {
        if let Some(committer) = &self.committer {
            for txn in acks.iter().filter_map(|a| a.prepared.as_ref()) {
                // The run has failed already; a transaction that cannot be
                // removed now is aborted by the next recovery.
                let _ = committer.abort(txn);
            }
        }
    }

    /// Recovery's first step: the last manifest in place, with its sinks'
    /// transactions committed (again) and every other one aborted, and the
    /// snapshot files it names; `None` for a directory without one.
    pub(crate) fn recover(&mut self) -> Result<Option<Recovered>, CheckpointError> {
        let Some(dir) = &self.dir else {
            return Ok(None);
        };
        self.last = self.last.max(dir.highest_epoch()?);
        let Some(manifest) = dir.latest()? else {
            if let Some(c) = &self.committer {
                c.abort_others(&[])?;
            }
            return Ok(None);
        };
        let snapshots = dir.read_snapshots(&manifest)?;
        if let Some(c) = &self.committer {
            for txn in &manifest.prepared {
                c.commit(txn)?;
            }
            c.abort_others(&manifest.prepared)?;
        }
        if !dir.is_complete(manifest.epoch) {
            dir.mark_complete(manifest.epoch)?;
        }
        Ok(Some((manifest, snapshots)))
    }
}
