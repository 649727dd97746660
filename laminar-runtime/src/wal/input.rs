//! The writing end of a log: [`WalInput`].

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;

use super::frame::{self, END_LEN};
use super::{SyncPolicy, WalError};
use crate::failpoint::failpoint;
use crate::state::Codec;

/// Bytes the writer buffers before a write to the OS (a submit flushes it
/// anyway; `submit_all` fills it).
const WRITE_BUFFER: usize = 64 * 1024;

/// The writing end of a write-ahead log: each [`submit`](Self::submit)
/// appends one framed record and applies the log's [`SyncPolicy`]. Made by
/// [`log`](super::log) with its [`WalSource`](super::WalSource).
///
/// Not `Clone`: a log has one writer. After an I/O error the input is
/// failed: every later call returns [`WalError::Failed`], because what
/// reached the file of the failed write (and, after a failed `fsync`, what
/// reached the disk) is unknown; reopen the log with [`log`](super::log),
/// which cuts whatever is not whole.
///
/// Dropping it without [`close`](Self::close) leaves the log open: its
/// source stays [`Read::Idle`](crate::source::Read::Idle) at the end, and a
/// `Runtime::finish` waiting for the source does not return. What was
/// submitted stays in the log either way (a drop writes nothing).
///
/// ```
/// use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
/// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-input-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let (mut input, _source) = wal::log::<(u32, String)>(&dir, WalOptions::new())?;
/// let after = input.submit(&(1, "one".into()))?; // durable when it returns
/// assert_eq!(after, input.len());
/// assert_eq!(input.syncs(), 1);
/// input.close()?;
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WalInput<T> {
    path: PathBuf,
    file: BufWriter<File>,
    policy: SyncPolicy,
    /// Bytes in the log, including what the buffer holds.
    len: u64,
    /// Bytes known to be on the disk.
    synced: u64,
    /// What the source may read up to: whole records handed to the OS.
    visible: Arc<AtomicU64>,
    /// Records appended since the last `fsync`.
    unsynced: usize,
    last_sync: Instant,
    syncs: u64,
    cut: u64,
    closed: bool,
    failed: bool,
    scratch: Vec<u8>,
    frame: Vec<u8>,
    _events: PhantomData<fn(&T)>,
}

impl<T> fmt::Debug for WalInput<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalInput")
            .field("path", &self.path)
            .field("policy", &self.policy)
            .field("len", &self.len)
            .field("synced", &self.synced)
            .field("syncs", &self.syncs)
            .field("cut_bytes", &self.cut)
            .field("closed", &self.closed)
            .field("failed", &self.failed)
            .finish()
    }
}

impl<T: Serialize + serde::de::DeserializeOwned + Send + 'static> WalInput<T> {
    /// An input appending to `file` (positioned at `len`, the end of its
    /// well-formed part, all of it on the disk).
    pub(super) fn new(
        path: PathBuf,
        file: File,
        policy: SyncPolicy,
        len: u64,
        visible: Arc<AtomicU64>,
        cut: u64,
        closed: bool,
    ) -> Self {
        WalInput {
            path,
            file: BufWriter::with_capacity(WRITE_BUFFER, file),
            policy,
            len,
            synced: len,
            visible,
            unsynced: 0,
            last_sync: Instant::now(),
            syncs: 0,
            cut,
            closed,
            failed: false,
            scratch: Vec::new(),
            frame: Vec::new(),
            _events: PhantomData,
        }
    }

    /// Appends `event` as one record, hands it to the OS, applies the sync
    /// policy, and returns the log's length after it (the byte offset the
    /// next record starts at).
    ///
    /// Once it returns `Ok`, the event is in the log for the source to
    /// read, and it survives a crash of this process. It survives a crash
    /// of the machine (power loss, kernel panic) if the policy synced:
    /// always under [`SyncPolicy::Always`]; under [`SyncPolicy::Batch`]
    /// once [`synced_len`](Self::synced_len) reaches the returned offset.
    /// An `Err` says nothing about the event: it may or may not be in the
    /// log after a crash.
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-submit-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (mut input, _source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// // A u64 is 8 bytes, after an 8-byte header.
    /// assert_eq!(input.submit(&7)?, 16);
    /// assert_eq!(input.submit(&8)?, 32);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit(&mut self, event: &T) -> Result<u64, WalError> {
        self.writable()?;
        self.append(event)?;
        self.flush()?;
        let due = match self.policy {
            SyncPolicy::Always => true,
            SyncPolicy::Batch { records, interval } => {
                self.unsynced >= records.max(1) || self.last_sync.elapsed() >= interval
            }
            SyncPolicy::Never => false,
        };
        if due {
            self.sync_now()?;
        }
        self.publish();
        Ok(self.len)
    }

    /// Appends every event of `events`, hands them to the OS together and
    /// syncs at most once, at the end: under [`SyncPolicy::Always`] always
    /// (one `fsync` for all of them, and all of them durable when it
    /// returns), under [`SyncPolicy::Batch`] if the records or the time
    /// since the last sync reached the batch's bounds. Returns the log's
    /// length after the last one. The source sees none of them before all
    /// of them are handed to the OS (and synced, under `Always`).
    ///
    /// On an `Err`, any prefix of the events may be in the log.
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-all-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (mut input, _source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// input.submit_all(&[1, 2, 3])?;
    /// assert_eq!(input.syncs(), 1);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn submit_all<'a>(
        &mut self,
        events: impl IntoIterator<Item = &'a T>,
    ) -> Result<u64, WalError>
    where
        T: 'a,
    {
        self.writable()?;
        for event in events {
            self.append(event)?;
        }
        self.flush()?;
        let due = match self.policy {
            SyncPolicy::Always => self.synced < self.len,
            SyncPolicy::Batch { records, interval } => {
                self.unsynced >= records.max(1)
                    || (self.unsynced > 0 && self.last_sync.elapsed() >= interval)
            }
            SyncPolicy::Never => false,
        };
        if due {
            self.sync_now()?;
        }
        self.publish();
        Ok(self.len)
    }

    /// Forces a sync: every record submitted so far is on the disk when it
    /// returns. Does nothing if nothing was submitted since the last one.
    /// Under [`SyncPolicy::Batch`], call it when the input goes quiet: the
    /// batch's interval is checked at each submit, not by a timer.
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # use std::time::Duration;
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-sync-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let batch = SyncPolicy::Batch { records: 100, interval: Duration::from_millis(10) };
    /// let (mut input, _source) = wal::log::<u64>(&dir, WalOptions::new().sync(batch))?;
    /// let at = input.submit(&1)?;
    /// assert_eq!(input.synced_len(), 0); // not durable yet
    /// input.sync()?;
    /// assert_eq!(input.synced_len(), at);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sync(&mut self) -> Result<(), WalError> {
        if self.failed {
            return Err(WalError::Failed);
        }
        self.flush()?;
        if self.synced < self.len {
            self.sync_now()?;
        }
        self.publish();
        Ok(())
    }

    /// Ends the log: appends the end marker and syncs, whatever the
    /// policy. The source then reads to the marker and ends
    /// ([`Read::End`](crate::source::Read::End)), so that
    /// `Runtime::finish` can return. Later submits return
    /// [`WalError::Closed`], as do those of an input that reopened a
    /// closed log. Closing a closed log does nothing.
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, WalError, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-close-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (mut input, _source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// input.close()?;
    /// assert!(input.is_closed());
    /// assert!(matches!(input.submit(&1), Err(WalError::Closed)));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close(&mut self) -> Result<(), WalError> {
        if self.closed {
            return Ok(());
        }
        self.writable()?;
        let marker = frame::end_marker();
        if let Err(e) = self.file.write_all(&marker) {
            return Err(self.fail("appending the end marker to", e));
        }
        self.len += marker.len() as u64;
        self.flush()?;
        self.sync_now()?;
        self.closed = true;
        self.publish();
        Ok(())
    }
}

impl<T> WalInput<T> {
    /// The log's length in bytes: the offset after the last record
    /// submitted (the end marker included once closed).
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-len-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (mut input, _source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// input.submit(&1)?;
    /// assert_eq!(input.len(), 16); // an 8-byte header and 8 bytes of u64
    /// input.close()?;
    /// assert_eq!(input.len(), 24); // and the 8-byte end marker
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the log holds nothing at all: no record, no end marker.
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-empty-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (input, _source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// assert!(input.is_empty());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The length known to be on the disk: every record that ends at or
    /// before it survives a power loss.
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-synced-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (mut input, _source) = wal::log::<u64>(&dir, WalOptions::new().sync(SyncPolicy::Never))?;
    /// input.submit(&1)?;
    /// assert_eq!(input.synced_len(), 0);
    /// input.sync()?;
    /// assert_eq!(input.synced_len(), input.len());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn synced_len(&self) -> u64 {
        self.synced
    }

    /// The `fsync`s this input made (of the log file; the directory's at
    /// creation and the cut's at opening are not counted).
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-syncs-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (mut input, _source) = wal::log::<u64>(&dir, WalOptions::new().sync(SyncPolicy::Never))?;
    /// for i in 0..10 {
    ///     input.submit(&i)?;
    /// }
    /// assert_eq!(input.syncs(), 0);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn syncs(&self) -> u64 {
        self.syncs
    }

    /// Bytes cut from the end of the log when it was opened: a torn or
    /// damaged tail (0 for a new log or one that ended well).
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-cut-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (input, _source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// assert_eq!(input.cut_bytes(), 0); // a new log
    /// # drop(input);
    /// // Half a header at the end, as a crash in the middle of a write leaves it.
    /// std::fs::write(dir.join(wal::FILE_NAME), [1, 0, 0, 0])?;
    /// let (input, _source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// assert_eq!((input.cut_bytes(), input.len()), (4, 0));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cut_bytes(&self) -> u64 {
        self.cut
    }

    /// Whether the log ends with its end marker (closed by
    /// [`close`](WalInput::close), now or before it was reopened).
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-isclosed-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (mut input, _source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// input.close()?;
    /// drop(input);
    /// let (input, _source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// assert!(input.is_closed()); // reopened closed
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The log file.
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-path-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (input, _source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// assert_eq!(input.path(), dir.join(wal::FILE_NAME));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn writable(&self) -> Result<(), WalError> {
        if self.failed {
            Err(WalError::Failed)
        } else if self.closed {
            Err(WalError::Closed)
        } else {
            Ok(())
        }
    }

    fn fail(&mut self, what: &str, source: std::io::Error) -> WalError {
        self.failed = true;
        WalError::Io {
            what: format!("{what} {}", self.path.display()),
            source,
        }
    }

    /// Hands the buffer to the OS.
    fn flush(&mut self) -> Result<(), WalError> {
        if let Err(e) = self.file.flush() {
            return Err(self.fail("writing", e));
        }
        failpoint("wal.append.after_write");
        Ok(())
    }

    fn sync_now(&mut self) -> Result<(), WalError> {
        if let Err(e) = self.file.get_ref().sync_data() {
            return Err(self.fail("syncing", e));
        }
        self.syncs += 1;
        self.synced = self.len;
        self.unsynced = 0;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Lets the source read every record handed to the OS.
    fn publish(&self) {
        self.visible.store(self.len, Ordering::Release);
    }
}

impl<T: Serialize + serde::de::DeserializeOwned + Send + 'static> WalInput<T> {
    /// Frames `event` into the writer's buffer.
    fn append(&mut self, event: &T) -> Result<(), WalError> {
        failpoint("wal.append.before_write");
        self.scratch.clear();
        event
            .encode(&mut self.scratch)
            .map_err(|e| WalError::Encode(Box::new(e)))?;
        if self.scratch.len() >= END_LEN as usize {
            return Err(WalError::TooLarge {
                len: self.scratch.len(),
            });
        }
        self.frame.clear();
        frame::put_record(&self.scratch, &mut self.frame);
        if let Err(e) = self.file.write_all(&self.frame) {
            return Err(self.fail("appending to", e));
        }
        self.len += self.frame.len() as u64;
        self.unsynced += 1;
        Ok(())
    }
}
