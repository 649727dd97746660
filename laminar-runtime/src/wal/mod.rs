//! A write-ahead log for pushed input: events submitted to a [`WalInput`]
//! are appended to a file before they are acknowledged, and read into a
//! pipeline by its [`WalSource`], a replayable source. A run that keeps
//! checkpoints records the source's position; after a crash, the log is
//! reopened (its torn tail cut), the recovering run replays it from that
//! position, and every acknowledged event's result is committed exactly
//! once (with an exactly-once sink).
//!
//! ```
//! use laminar_runtime::source::{Read, Source, Split};
//! use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
//! # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//!
//! let (mut input, mut source) = wal::log::<(u64, String)>(&dir, WalOptions::new())?;
//! input.submit(&(1, "one".into()))?; // on the disk when it returns
//! input.submit(&(2, "two".into()))?;
//! input.close()?; // the source ends after the last record
//!
//! // `rt.attach(source)` in a run; here, read by hand.
//! let mut split = source.split(0, 1);
//! let mut buf = Vec::new();
//! assert_eq!(split.read(&mut buf, 100), Read::End);
//! assert_eq!(buf, [(1, "one".to_string()), (2, "two".to_string())]);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The file
//!
//! One log is one file, `dir/wal.log`, and one partition (partition 0) of
//! its source. It is a sequence of records, each
//!
//! ```text
//! [len: u32 LE][crc: u32 LE][payload: len bytes]
//! ```
//!
//! where the payload is the event encoded by [`Codec`](crate::state::Codec)
//! (postcard; the primitive integers fixed-width little-endian) and `crc`
//! is CRC-32 (IEEE, as `crc32fast` computes it) over the four bytes of
//! `len` followed by the payload. (The length is covered so that zero
//! bytes, which a file can hold past its last write after a power loss, do
//! not read as an empty record.) The end marker that [`WalInput::close`]
//! writes is a header alone: `len = u32::MAX` and the CRC of those four
//! bytes; nothing after it belongs to the log. A source's position is the
//! byte offset of a record's header.
//!
//! [`log`] on a directory with a log scans it and cuts (truncates, and
//! syncs the cut) the file at the first record that is not whole: a header
//! or payload that runs past the end of the file, a checksum that does not
//! match, a damaged end marker, or anything after the end marker.
//! [`WalInput::cut_bytes`] says how many bytes went. The records before it
//! are all kept. (A record damaged in the middle of a log cannot be told
//! from a torn tail; it is cut with everything after it. Under
//! [`SyncPolicy::Always`] only the last, unacknowledged record can be torn
//! by a crash.) A log that ends with the end marker reopens closed: its
//! source replays it, and its input refuses submits
//! ([`WalError::Closed`]).
//!
//! # What survives a crash
//!
//! A submit that returned `Ok` has handed its record to the OS, and the
//! source may have read it already. What a crash leaves:
//!
//! | policy | process crash (`kill -9`, panic = abort, OOM kill) | machine crash (power loss, kernel panic) |
//! |---|---|---|
//! | [`SyncPolicy::Always`] | every acknowledged submit | every acknowledged submit: each `submit` returns after `fsync` |
//! | [`SyncPolicy::Batch`] | every acknowledged submit (the OS has it) | the records up to the last sync ([`WalInput::synced_len`]): those of the last batch not synced yet may be lost |
//! | [`SyncPolicy::Never`] | every acknowledged submit (the OS has it) | what the OS happened to write back: anything since the log was opened may be lost |
//!
//! A submit that returned an error, or was in progress at the crash, may or
//! may not be in the log: at most that one record (one `submit_all` batch)
//! is in doubt, and if it is there it is whole.
//!
//! The source reads a record as soon as the input hands it to the OS
//! (under `Always`, after its `fsync`). Under `Always` a record is durable
//! before any result of it exists, and exactly-once holds across any
//! crash. Under `Batch` and `Never`, a result of a record that a power
//! loss then takes out of the log may already be committed to a sink, and
//! the checkpoint's position may lie past the end of the cut log: recovery
//! then fails at [`seek`](crate::source::Source::seek) with a
//! [`SourceError::Io`](crate::source::SourceError::Io) rather than replay
//! from a place that is not a record. Process crashes never do this.
//!
//! # Several logs
//!
//! A log is one partition. For several writers, open several logs (one
//! directory each) and attach each source: a checkpoint records each
//! attached source's positions in attach order, so the sources must be
//! attached in the same order after a crash.

use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

mod frame;
mod input;
mod source;

pub use input::WalInput;
pub use source::{WalErrors, WalSource, WalSplit};

/// The log file's name in its directory.
///
/// ```
/// assert_eq!(laminar_runtime::wal::FILE_NAME, "wal.log");
/// ```
pub const FILE_NAME: &str = "wal.log";

/// When a [`WalInput`] makes its records durable (`fsync`s the log). See
/// the [module docs](self) for what survives a crash under each.
///
/// ```
/// use laminar_runtime::wal::{SyncPolicy, WalOptions};
/// use std::time::Duration;
/// let group_commit = SyncPolicy::Batch { records: 64, interval: Duration::from_millis(5) };
/// let options = WalOptions::new().sync(group_commit);
/// # let _ = options;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SyncPolicy {
    /// `fsync` before each submit returns (one for a whole `submit_all`):
    /// an acknowledged submit is durable. The default.
    #[default]
    Always,
    /// Group commit: a submit `fsync`s when `records` records were
    /// appended since the last sync, or `interval` went by since it
    /// (checked at each submit: there is no timer thread, so call
    /// [`WalInput::sync`] when the input goes quiet). A record is durable
    /// once [`WalInput::synced_len`] reaches its end.
    Batch {
        /// Records appended between two syncs at most (0 counts as 1).
        records: usize,
        /// Time between two syncs at most, as long as records come.
        interval: Duration,
    },
    /// Never `fsync` (except at [`WalInput::close`] and
    /// [`WalInput::sync`]): the OS writes back when it likes. For tests,
    /// and for input that a process crash must not lose but a power loss
    /// may.
    Never,
}

/// How [`log`] opens a log.
///
/// ```
/// use laminar_runtime::wal::{SyncPolicy, WalOptions};
/// assert_eq!(WalOptions::new().sync_policy(), SyncPolicy::Always);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct WalOptions {
    sync: SyncPolicy,
}

impl WalOptions {
    /// The defaults: [`SyncPolicy::Always`].
    ///
    /// ```
    /// use laminar_runtime::wal::{SyncPolicy, WalOptions};
    /// assert_eq!(WalOptions::new(), WalOptions::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// When the input syncs.
    ///
    /// ```
    /// use laminar_runtime::wal::{SyncPolicy, WalOptions};
    /// let fast = WalOptions::new().sync(SyncPolicy::Never);
    /// assert_eq!(fast.sync_policy(), SyncPolicy::Never);
    /// ```
    pub fn sync(mut self, policy: SyncPolicy) -> Self {
        self.sync = policy;
        self
    }

    /// The sync policy set.
    ///
    /// ```
    /// use laminar_runtime::wal::{SyncPolicy, WalOptions};
    /// assert_eq!(WalOptions::new().sync_policy(), SyncPolicy::Always);
    /// ```
    pub fn sync_policy(&self) -> SyncPolicy {
        self.sync
    }
}

/// Why a log could not be opened or appended to.
///
/// ```
/// use laminar_runtime::wal::WalError;
/// let e = WalError::Closed;
/// assert!(e.to_string().contains("closed"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalError {
    /// The file system said no.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, and to which file.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The log ends with its end marker: [`WalInput::close`] was called,
    /// now or before the log was reopened.
    #[error("the write-ahead log is closed")]
    Closed,
    /// An earlier write or sync failed: what reached the file and the disk
    /// is unknown, so nothing more is appended. Reopen the log.
    #[error("an earlier write or sync of the write-ahead log failed; reopen it")]
    Failed,
    /// The event could not be encoded.
    #[error("encoding an event for the write-ahead log: {0}")]
    Encode(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The event's encoding is larger than a record can be (4 GiB - 2).
    #[error("an event of {len} bytes is too large for a write-ahead log record")]
    TooLarge {
        /// Its encoded length.
        len: usize,
    },
}

fn io(what: &str, path: &Path, source: std::io::Error) -> WalError {
    WalError::Io {
        what: format!("{what} {}", path.display()),
        source,
    }
}

/// Opens the log in `dir` (creating the directory and the log if they are
/// not there), cuts its torn tail if it has one, and returns its input,
/// appending after the last whole record, and its source, which reads the
/// log from its start (or from where recovery seeks it).
///
/// `T` is the event type, encoded with [`Codec`](crate::state::Codec):
/// open a log with the type it was written with (a record that does not
/// decode ends the source with an error in [`WalErrors`]).
///
/// Only one input may write to a log at a time; a second `log` on the same
/// directory while the first input is in use is not detected.
///
/// ```
/// use laminar_runtime::wal::{self, WalOptions};
/// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-log-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let (mut input, _source) = wal::log::<u64>(&dir, WalOptions::new())?;
/// input.submit(&1)?;
/// let len = input.len();
/// drop(input); // a crash: not closed
///
/// // A torn write of a second record.
/// let path = dir.join(wal::FILE_NAME);
/// let mut bytes = std::fs::read(&path)?;
/// bytes.extend_from_slice(&[8, 0, 0, 0, 1, 2]);
/// std::fs::write(&path, bytes)?;
///
/// let (input, _source) = wal::log::<u64>(&dir, WalOptions::new())?;
/// assert_eq!((input.len(), input.cut_bytes()), (len, 6));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn log<T>(
    dir: impl AsRef<Path>,
    options: WalOptions,
) -> Result<(WalInput<T>, WalSource<T>), WalError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    let dir = dir.as_ref();
    fs::create_dir_all(dir).map_err(|e| io("creating", dir, e))?;
    let path = dir.join(FILE_NAME);
    let existed = path.exists();
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| io("opening", &path, e))?;
    if !existed {
        // The new file's name is durable before any record is acknowledged.
        sync_dir(dir).map_err(|e| io("syncing the directory", dir, e))?;
    }
    let file_len = file
        .metadata()
        .map_err(|e| io("reading the length of", &path, e))?
        .len();
    let scan = frame::scan(&mut file, file_len).map_err(|e| io("scanning", &path, e))?;
    let cut = file_len - scan.valid;
    if cut > 0 {
        file.set_len(scan.valid)
            .map_err(|e| io("cutting the torn tail of", &path, e))?;
        file.sync_all()
            .map_err(|e| io("syncing the cut of", &path, e))?;
    }
    file.seek(SeekFrom::Start(scan.valid))
        .map_err(|e| io("seeking to the end of", &path, e))?;
    let reader = File::open(&path).map_err(|e| io("opening", &path, e))?;
    let visible = Arc::new(AtomicU64::new(scan.valid));
    let input = WalInput::new(
        path.clone(),
        file,
        options.sync,
        scan.valid,
        visible.clone(),
        cut,
        scan.closed,
    );
    let source = WalSource::new(path, reader, scan.valid, visible);
    Ok((input, source))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests;
