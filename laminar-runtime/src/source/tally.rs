//! What a source met that it could not hand on: records it skipped as bad,
//! reads that failed, and the message of the last of either. The file
//! source's [`FileErrors`](super::FileErrors) and the write-ahead log's
//! [`WalErrors`](crate::wal::WalErrors) are handles to one, shared with the
//! caller, who takes the handle before the source moves into the runtime.

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

#[derive(Default)]
pub(crate) struct Tally {
    bad: AtomicU64,
    failed: AtomicU64,
    last: Mutex<Option<String>>,
}

impl Tally {
    /// Records skipped as bad so far.
    pub(crate) fn bad(&self) -> u64 {
        self.bad.load(Ordering::Relaxed)
    }

    /// Reads that failed so far.
    pub(crate) fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// The last message: the file, the record's byte offset, the cause.
    pub(crate) fn last(&self) -> Option<String> {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn note(&self, path: &Path, offset: u64, cause: &dyn fmt::Display) {
        let message = format!("{}: byte {offset}: {cause}", path.display());
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(message);
    }

    /// Counts a bad record at `offset` of `path`.
    pub(crate) fn bad_record(&self, path: &Path, offset: u64, cause: &dyn fmt::Display) {
        self.bad.fetch_add(1, Ordering::Relaxed);
        self.note(path, offset, cause);
    }

    /// Counts a read of `path` that failed at `offset`.
    pub(crate) fn failed_read(&self, path: &Path, offset: u64, cause: &dyn fmt::Display) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        self.note(path, offset, cause);
    }
}
