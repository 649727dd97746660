//! An exactly-once file sink: each core's results go, as JSON lines, into
//! a staging file that becomes visible, renamed into place, when the
//! checkpoint it belongs to commits.
//!
//! # Layout
//!
//! In the sink's directory `dir`:
//!
//! - `dir/.staging/<e>-<core>.jsonl`: what core `core` writes for the next
//!   checkpoint, `e` being the checkpoint after the last one it prepared
//!   (or recovered from). Written through a buffer, `fsync`ed with the
//!   staging directory at [`pre_commit`](SinkWriter::pre_commit).
//! - `dir/part-<epoch:020>-<core:04>.jsonl`: a committed transaction, the
//!   staging file renamed at [`commit`](Committer::commit) (the directory
//!   `fsync`ed after). `epoch` is the checkpoint it was prepared at, which
//!   is `e` unless checkpoints were skipped in between.
//!
//! # What readers see
//!
//! - Only committed files are output: a reader lists `part-*.jsonl` (as
//!   [`FileSink::committed`] does) and never reads `.staging`, whose files
//!   may be half-written, prepared but never committed, or about to be
//!   removed by recovery.
//! - A `part-*` file appears whole (a rename of a file `fsync`ed before),
//!   once: committing it again after a crash changes nothing.
//! - Within one `part-*` file, results are in the order its core wrote
//!   them. There is no order between cores; file names sort by epoch, then
//!   core.
//! - A checkpoint in which a core wrote nothing still commits a file, an
//!   empty one: every prepared transaction is a real, persisted one.
//!
//! One directory holds one sink: two sinks (or two runs at once) in the
//! same directory would overwrite each other's staging files.
//!
//! # Recovery
//!
//! The runtime commits again every transaction of the last complete
//! checkpoint, then calls [`abort_others`](Committer::abort_others), which
//! removes every other staging file: prepared but not recorded, or
//! half-written at the crash. A writer made after recovery from epoch `e`
//! stages into `<e+1>-<core>.jsonl`, a name no recorded transaction has,
//! and truncates whatever a crashed run left under that name.
//! `abort_others` never removes the file a live writer of this process is
//! staging into, so it is safe also when called after writing resumed.
//!
//! Committed files are never removed: recovering from a checkpoint older
//! than the last complete one would leave the later epochs' `part-*` files
//! visible, and the replay would write their results again.
//!
//! # Failpoints
//!
//! `sink.pre_commit.before_fsync`, `sink.pre_commit.after_fsync`,
//! `sink.commit.before_rename` and `sink.commit.after_rename`: see
//! [`crate::failpoint`].
//!
//! ```
//! use laminar_runtime::sink::file::{self, FileSink, FileWriter};
//! use laminar_runtime::sink::{Sink, SinkWriter};
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! struct Bid { auction: u64, price: u64 }
//!
//! let dir = std::env::temp_dir().join(format!("laminar-doc-file-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! let mut sink = file::json_lines(&dir);
//! let committer = sink.committer();
//! let mut w: FileWriter<Bid> = sink.writer(0, 1, 0)?;
//!
//! w.write(Bid { auction: 1, price: 10 })?;
//! let txn = w.pre_commit(1)?; // durable, not visible
//! assert!(FileSink::committed::<Bid>(&dir)?.is_empty());
//!
//! committer.commit(&txn)?; // visible
//! committer.commit(&txn)?; // again: changes nothing
//! assert_eq!(FileSink::committed::<Bid>(&dir)?, [Bid { auction: 1, price: 10 }]);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Committer, Prepared, Sink, SinkError, SinkWriter};
use crate::failpoint::failpoint;

/// The staging directory, inside the sink's.
const STAGING: &str = ".staging";
/// Prefix of committed files.
const PART: &str = "part-";
/// Suffix of every file the sink writes.
const EXT: &str = ".jsonl";

/// A [`FileSink`] writing JSON lines into `dir`; the same as
/// [`FileSink::json_lines`].
///
/// ```
/// let sink = laminar_runtime::sink::file::json_lines("/tmp/laminar-out");
/// assert_eq!(sink.dir(), std::path::Path::new("/tmp/laminar-out"));
/// ```
pub fn json_lines(dir: impl Into<PathBuf>) -> FileSink {
    FileSink::json_lines(dir)
}

/// An exactly-once sink of JSON lines in a directory, for any
/// [`Serialize`] result type: see the [module docs](self).
///
/// ```
/// use laminar_runtime::sink::file::{FileSink, FileWriter};
/// use laminar_runtime::sink::{Sink, SinkWriter};
///
/// let dir = std::env::temp_dir().join(format!("laminar-doc-sink-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let mut sink = FileSink::json_lines(&dir);
/// let committer = sink.committer();
/// let mut core0: FileWriter<(u64, String)> = sink.writer(0, 2, 0)?;
/// let mut core1: FileWriter<(u64, String)> = sink.writer(1, 2, 0)?;
/// core0.write((1, "a".into()))?;
/// core1.write((2, "b".into()))?;
/// for txn in [core0.pre_commit(1)?, core1.pre_commit(1)?] {
///     committer.commit(&txn)?;
/// }
/// let out: Vec<(u64, String)> = FileSink::committed(&dir)?;
/// assert_eq!(out, [(1, "a".into()), (2, "b".into())]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileSink {
    shared: Arc<Shared>,
}

/// What the sink, its writers and its committer share.
#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    staging: PathBuf,
    /// Names of the staging files that writers of this process are
    /// writing, which [`Committer::abort_others`] leaves alone.
    live: Mutex<HashSet<String>>,
}

impl FileSink {
    /// A sink writing each result as one line of JSON into files in `dir`
    /// (created, with its staging directory, when the first writer is).
    ///
    /// ```
    /// use laminar_runtime::sink::file::FileSink;
    /// let sink = FileSink::json_lines("out");
    /// assert_eq!(sink.dir(), std::path::Path::new("out"));
    /// ```
    pub fn json_lines(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let staging = dir.join(STAGING);
        FileSink {
            shared: Arc::new(Shared {
                dir,
                staging,
                live: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// The directory the sink writes into.
    ///
    /// ```
    /// let sink = laminar_runtime::sink::file::FileSink::json_lines("out");
    /// assert_eq!(sink.dir(), std::path::Path::new("out"));
    /// ```
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// What commits and aborts this sink's transactions: the same as
    /// [`Sink::committer`], callable without naming the result type.
    ///
    /// ```
    /// use laminar_runtime::sink::file::FileSink;
    /// let committer = FileSink::json_lines("out").committer();
    /// # let _ = committer;
    /// ```
    pub fn committer(&self) -> Arc<dyn Committer> {
        Arc::clone(&self.shared) as Arc<dyn Committer>
    }

    /// Everything committed in `dir`: the lines of every `part-*.jsonl`
    /// file, files in name order (epoch, then core), lines in file order.
    /// Staging files are not read.
    ///
    /// # Errors
    ///
    /// [`SinkError::Io`] if `dir` or a file cannot be read, or a line is
    /// not a `T` (its kind then [`InvalidData`](io::ErrorKind::InvalidData)).
    ///
    /// ```
    /// use laminar_runtime::sink::file::{FileSink, FileWriter};
    /// use laminar_runtime::sink::{Sink, SinkWriter};
    ///
    /// let dir = std::env::temp_dir().join(format!("laminar-doc-read-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let mut sink = FileSink::json_lines(&dir);
    /// let mut w: FileWriter<u32> = sink.writer(0, 1, 0)?;
    /// w.write(7)?;
    /// let txn = w.pre_commit(1)?;
    /// assert!(FileSink::committed::<u32>(&dir)?.is_empty()); // staged only
    /// sink.committer().commit(&txn)?;
    /// assert_eq!(FileSink::committed::<u32>(&dir)?, [7]);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn committed<T: DeserializeOwned>(dir: impl AsRef<Path>) -> Result<Vec<T>, SinkError> {
        let dir = dir.as_ref();
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).map_err(io_err(dir))? {
            let entry = entry.map_err(io_err(dir))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if name.starts_with(PART) && name.ends_with(EXT) {
                names.push(name);
            }
        }
        names.sort_unstable();
        let mut out = Vec::new();
        for name in names {
            let path = dir.join(&name);
            let file = File::open(&path).map_err(io_err(&path))?;
            for (i, line) in BufReader::new(file).lines().enumerate() {
                let line = line.map_err(io_err(&path))?;
                let item = serde_json::from_str(&line).map_err(|e| SinkError::Io {
                    what: format!("{} line {}", path.display(), i + 1),
                    source: io::Error::new(io::ErrorKind::InvalidData, e),
                })?;
                out.push(item);
            }
        }
        Ok(out)
    }
}

impl<T: Serialize + 'static> Sink<T> for FileSink {
    type Writer = FileWriter<T>;

    /// Creates `dir` and `dir/.staging` if needed (and makes their entries
    /// durable); the writer's first staging file is `<epoch+1>-<core>.jsonl`,
    /// opened (truncated) at its first write or pre-commit.
    fn writer(
        &mut self,
        core: usize,
        _cores: usize,
        epoch: u64,
    ) -> Result<FileWriter<T>, SinkError> {
        let s = &self.shared;
        let core = u32::try_from(core).map_err(|_| SinkError::Io {
            what: format!("file sink writer of core {core}"),
            source: io::Error::new(io::ErrorKind::InvalidInput, "core index above u32::MAX"),
        })?;
        fs::create_dir_all(&s.staging).map_err(io_err(&s.staging))?;
        // The staging directory's entry in `dir`, and `dir`'s in its parent.
        sync_dir(&s.dir)?;
        if let Some(parent) = s.dir.parent() {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            sync_dir(parent)?;
        }
        Ok(FileWriter {
            shared: Arc::clone(&self.shared),
            core,
            last: epoch,
            staged: None,
            line: Vec::new(),
            failed: false,
            _items: PhantomData,
        })
    }

    fn committer(&self) -> Arc<dyn Committer> {
        FileSink::committer(self)
    }
}

/// One core's writer of a [`FileSink`]: stages each result as one JSON
/// line into `dir/.staging/<epoch>-<core>.jsonl`.
///
/// After an I/O error the writer fails every later call: the staging file
/// may be torn, and must not become a prepared transaction (the run fails,
/// and recovery aborts it).
///
/// ```
/// use laminar_runtime::sink::file::{FileSink, FileWriter};
/// use laminar_runtime::sink::{Sink, SinkWriter};
///
/// let dir = std::env::temp_dir().join(format!("laminar-doc-writer-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let mut sink = FileSink::json_lines(&dir);
/// // Recovered from checkpoint 4: the next transaction is 5's.
/// let mut w: FileWriter<&'static str> = sink.writer(3, 4, 4)?;
/// w.write("x")?;
/// let txn = w.pre_commit(5)?;
/// assert_eq!((txn.epoch, txn.core, &txn.data[..]), (5, 3, &b"5-3.jsonl"[..]));
/// assert!(w.pre_commit(5).is_err()); // epochs must grow
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FileWriter<T> {
    shared: Arc<Shared>,
    core: u32,
    /// The last epoch prepared, or recovered from.
    last: u64,
    /// The staging file being written, opened at the first write after a
    /// pre-commit.
    staged: Option<Staged>,
    /// One encoded line, reused: a result that fails to encode leaves
    /// nothing in the file.
    line: Vec<u8>,
    /// An I/O error happened: the staging file may be torn.
    failed: bool,
    _items: PhantomData<fn(T)>,
}

/// An open staging file.
#[derive(Debug)]
struct Staged {
    name: String,
    path: PathBuf,
    file: BufWriter<File>,
}

impl<T> std::fmt::Debug for FileWriter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileWriter")
            .field("dir", &self.shared.dir)
            .field("core", &self.core)
            .field("last", &self.last)
            .field("staging", &self.staged.as_ref().map(|s| &s.name))
            .field("failed", &self.failed)
            .finish()
    }
}

impl<T> FileWriter<T> {
    /// The open staging file, opened (truncating what a crashed run may
    /// have left under its name) if there is none.
    fn staged(&mut self) -> Result<&mut Staged, SinkError> {
        if self.staged.is_none() {
            let name = staging_name(self.last + 1, self.core);
            let path = self.shared.staging.join(&name);
            // Registered before the file exists, so that `abort_others`
            // (which holds the lock while it lists and removes) never
            // removes it.
            self.shared.live().insert(name.clone());
            let file = match File::create(&path) {
                Ok(file) => file,
                Err(e) => {
                    self.shared.live().remove(&name);
                    return Err(io_err(&path)(e));
                }
            };
            self.staged = Some(Staged {
                name,
                path,
                file: BufWriter::new(file),
            });
        }
        Ok(self.staged.as_mut().expect("opened above"))
    }

    fn check_failed(&self) -> Result<(), SinkError> {
        if self.failed {
            return Err(SinkError::Io {
                what: format!("file sink writer of core {}", self.core),
                source: io::Error::other("an earlier write or pre-commit failed"),
            });
        }
        Ok(())
    }
}

impl<T: Serialize + 'static> SinkWriter<T> for FileWriter<T> {
    fn write(&mut self, item: T) -> Result<(), SinkError> {
        self.check_failed()?;
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let encoded = serde_json::to_writer(&mut line, &item);
        let written = match encoded {
            Err(e) => Err(SinkError::Encode(Box::new(e))),
            Ok(()) => {
                line.push(b'\n');
                match self.staged() {
                    Err(e) => Err(e),
                    Ok(s) => s.file.write_all(&line).map_err(io_err(&s.path)),
                }
            }
        };
        self.line = line;
        if let Err(SinkError::Io { .. }) = &written {
            self.failed = true;
        }
        written
    }

    fn pre_commit(&mut self, epoch: u64) -> Result<Prepared, SinkError> {
        self.check_failed()?;
        if epoch <= self.last {
            return Err(SinkError::EpochOrder {
                epoch,
                last: self.last,
            });
        }
        // An empty transaction is a file too.
        self.staged()?;
        let Staged { name, path, file } = self.staged.take().expect("opened above");
        let prepared = (|| {
            let file = file
                .into_inner()
                .map_err(|e| io_err(&path)(e.into_error()))?;
            failpoint("sink.pre_commit.before_fsync");
            file.sync_all().map_err(io_err(&path))?;
            sync_dir(&self.shared.staging)?;
            failpoint("sink.pre_commit.after_fsync");
            Ok(())
        })();
        self.shared.live().remove(&name);
        if let Err(e) = prepared {
            self.failed = true;
            return Err(e);
        }
        self.last = epoch;
        Ok(Prepared {
            epoch,
            core: self.core,
            data: name.into_bytes(),
        })
    }
}

impl<T> Drop for FileWriter<T> {
    fn drop(&mut self) {
        // Its staging file is an orphan now, for `abort_others` to remove.
        if let Some(s) = &self.staged {
            self.shared.live().remove(&s.name);
        }
    }
}

impl Shared {
    fn live(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The staging file name in `txn`, checked to be one this sink's
    /// writers make for that core and an epoch no later than the
    /// transaction's.
    fn staging_name<'a>(&self, txn: &'a Prepared) -> Result<&'a str, SinkError> {
        let bad = || {
            SinkError::BadTransaction(format!(
                "epoch {}, core {}, data {:?}",
                txn.epoch,
                txn.core,
                String::from_utf8_lossy(&txn.data)
            ))
        };
        let name = std::str::from_utf8(&txn.data).map_err(|_| bad())?;
        let (epoch, core) = parse_staging_name(name).ok_or_else(bad)?;
        if core != txn.core || epoch > txn.epoch {
            return Err(bad());
        }
        Ok(name)
    }
}

impl Committer for Shared {
    /// Renames the staging file to `part-<epoch:020>-<core:04>.jsonl` and
    /// `fsync`s the directory. If the staging file is gone and the part
    /// file exists, the transaction was committed already: `Ok`.
    ///
    /// # Errors
    ///
    /// [`SinkError::Missing`] if neither file exists,
    /// [`SinkError::BadTransaction`] if `txn` is not one of this sink's.
    fn commit(&self, txn: &Prepared) -> Result<(), SinkError> {
        let name = self.staging_name(txn)?;
        let from = self.staging.join(name);
        let to = self.dir.join(part_name(txn.epoch, txn.core));
        failpoint("sink.commit.before_rename");
        match fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::metadata(&to) {
                // Committed before; its rename may not be durable yet if
                // that commit crashed before the `fsync` below.
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(SinkError::Missing(format!(
                        "{} (epoch {}, core {}): neither {} nor {} exists",
                        name,
                        txn.epoch,
                        txn.core,
                        from.display(),
                        to.display()
                    )));
                }
                Err(e) => return Err(io_err(&to)(e)),
            },
            Err(e) => return Err(io_err(&from)(e)),
        }
        failpoint("sink.commit.after_rename");
        sync_dir(&self.dir)
    }

    /// Removes the staging file, if it is there.
    fn abort(&self, txn: &Prepared) -> Result<(), SinkError> {
        let name = self.staging_name(txn)?;
        let path = self.staging.join(name);
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.staging),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// Removes every staging file that `keep` does not name, except those
    /// that live writers of this process are writing.
    fn abort_others(&self, keep: &[Prepared]) -> Result<(), SinkError> {
        let keep: HashSet<&[u8]> = keep.iter().map(|p| p.data.as_slice()).collect();
        // Held throughout: no writer opens a staging file meanwhile.
        let live = self.live();
        let entries = match fs::read_dir(&self.staging) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_err(&self.staging)(e)),
        };
        let mut removed = false;
        for entry in entries {
            let entry = entry.map_err(io_err(&self.staging))?;
            let name = entry.file_name();
            let kept = name
                .to_str()
                .is_some_and(|n| keep.contains(n.as_bytes()) || live.contains(n));
            if kept || entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let path = entry.path();
            match fs::remove_file(&path) {
                Ok(()) => removed = true,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        drop(live);
        if removed {
            sync_dir(&self.staging)?;
        }
        Ok(())
    }
}

fn staging_name(epoch: u64, core: u32) -> String {
    format!("{epoch}-{core}{EXT}")
}

/// `<epoch>-<core>.jsonl` back into its numbers.
fn parse_staging_name(name: &str) -> Option<(u64, u32)> {
    let (epoch, core) = name.strip_suffix(EXT)?.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(epoch) || !digits(core) {
        return None;
    }
    Some((epoch.parse().ok()?, core.parse().ok()?))
}

fn part_name(epoch: u64, core: u32) -> String {
    format!("{PART}{epoch:020}-{core:04}{EXT}")
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SinkError + '_ {
    move |source| SinkError::Io {
        what: path.display().to_string(),
        source,
    }
}

/// Makes the entries of directory `dir` durable (created, renamed or
/// removed files).
fn sync_dir(dir: &Path) -> Result<(), SinkError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(dir))
    }
    // Directories cannot be opened as files elsewhere (Windows); renames
    // there are made durable by the file system's own journal.
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(staging_name(12, 3), "12-3.jsonl");
        assert_eq!(parse_staging_name("12-3.jsonl"), Some((12, 3)));
        for bad in [
            "12-3.json",
            "-3.jsonl",
            "12-.jsonl",
            "a-3.jsonl",
            "12-3-4.jsonl",
            "../1-2.jsonl",
            "1-+2.jsonl",
        ] {
            assert_eq!(parse_staging_name(bad), None, "{bad}");
        }
        assert_eq!(part_name(7, 2), "part-00000000000000000007-0002.jsonl");
        assert!(part_name(10, 0) > part_name(9, 1));
    }
}
