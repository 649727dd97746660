//! The reading end of a log: [`WalSource`], a replayable source with one
//! partition.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read as _, Seek, SeekFrom};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::frame::{self, END_LEN, HEADER};
use crate::source::{Position, Read, Source, SourceError, Split, Tally, known_partitions};
use crate::state::Codec;

/// Bytes of read-ahead of a split.
const READ_BUFFER: usize = 64 * 1024;

/// What a log's source stopped on, shared by the source and its split;
/// read it from any thread, during or after a run. Get it with
/// [`WalSource::errors`] before attaching the source.
///
/// A split that meets a damaged record or a failed read ends
/// ([`Read::End`]) after the records before it: the run can finish, and
/// this says that it finished early and why. It never panics and never
/// skips a record silently.
///
/// ```
/// use laminar_runtime::wal::{self, WalOptions};
/// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-errors-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let (_input, source) = wal::log::<u64>(&dir, WalOptions::new())?;
/// let errors = source.errors();
/// assert_eq!((errors.corrupt(), errors.failed(), errors.last()), (0, 0, None));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct WalErrors(Arc<Tally>);

impl WalErrors {
    /// Records found damaged below the length the writer published (their
    /// checksum does not match, or they do not decode as the source's
    /// type): the log changed under the run, or a position did not fall on
    /// a record. Each ends its split.
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-corrupt-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (mut input, _) = wal::log::<String>(&dir, WalOptions::new())?;
    /// input.submit(&"not a number".to_string())?;
    /// input.close()?;
    /// # drop(input);
    /// // Read back as another type: the record does not decode.
    /// use laminar_runtime::source::{Read, Source, Split};
    /// let (_, mut source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// let errors = source.errors();
    /// assert_eq!(source.split(0, 1).read(&mut Vec::new(), 10), Read::End);
    /// assert_eq!(errors.corrupt(), 1);
    /// assert!(errors.last().unwrap().contains("byte 0"));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn corrupt(&self) -> u64 {
        self.0.bad()
    }

    /// Reads that failed (I/O errors), each ending its split.
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-failed-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (_input, source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// assert_eq!(source.errors().failed(), 0);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn failed(&self) -> u64 {
        self.0.failed()
    }

    /// The message of the last error: the file, the record's byte offset,
    /// and the cause.
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-last-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (_input, source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// assert_eq!(source.errors().last(), None);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn last(&self) -> Option<String> {
        self.0.last()
    }

    fn corrupted(&self, path: &Path, offset: u64, cause: &dyn fmt::Display) {
        self.0.bad_record(path, offset, cause);
    }

    fn fail(&self, path: &Path, offset: u64, cause: &dyn fmt::Display) {
        self.0.failed_read(path, offset, cause);
    }
}

impl fmt::Debug for WalErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalErrors")
            .field("corrupt", &self.corrupt())
            .field("failed", &self.failed())
            .field("last", &self.last())
            .finish()
    }
}

/// The reading end of a write-ahead log: a replayable [`Source`] with one
/// partition (partition 0, read by core 0; the other cores' splits end at
/// once). Made by [`log`](super::log) with its
/// [`WalInput`](super::WalInput).
///
/// Its position is the byte offset of the next record; it starts at 0 (the
/// whole log) unless [`seek`](Source::seek) moves it, as recovery does to
/// the offset the last checkpoint recorded. Its split reads records up to
/// the length the input published, is [`Read::Idle`] when it has caught
/// up, and ends ([`Read::End`]) at the end marker that
/// [`WalInput::close`](super::WalInput::close) writes, or at a damaged
/// record (see [`WalErrors`]).
///
/// A position past the end of the log as it was opened is an error from
/// `seek`: the checkpoint had read records that the log lost, which a power
/// loss under [`SyncPolicy::Batch`](super::SyncPolicy::Batch) or
/// [`Never`](super::SyncPolicy::Never) can do.
///
/// ```
/// use laminar_runtime::source::{Position, Read, Source, Split};
/// use laminar_runtime::wal::{self, WalOptions};
/// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-source-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let (mut input, _) = wal::log::<u64>(&dir, WalOptions::new())?;
/// input.submit_all(&[10, 20, 30])?;
/// input.close()?;
/// drop(input);
///
/// // Reopened, from the second record (each is 16 bytes).
/// let (_, mut source) = wal::log::<u64>(&dir, WalOptions::new())?;
/// source.seek(&[Position { partition: 0, offset: 16 }])?;
/// let mut split = source.split(0, 1);
/// let mut buf = Vec::new();
/// assert_eq!(split.read(&mut buf, 10), Read::End);
/// assert_eq!(buf, [20, 30]);
/// let mut at = Vec::new();
/// split.positions(&mut at);
/// assert_eq!(at, [Position { partition: 0, offset: 48 }]); // the end marker
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WalSource<T> {
    path: PathBuf,
    /// The handle opened with the log, until the split takes it.
    file: Option<File>,
    /// The log's well-formed length when it was opened.
    opened: u64,
    start: u64,
    visible: Arc<AtomicU64>,
    errors: WalErrors,
    _events: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for WalSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalSource")
            .field("path", &self.path)
            .field("opened", &self.opened)
            .field("start", &self.start)
            .field("visible", &self.visible.load(Ordering::Relaxed))
            .field("errors", &self.errors)
            .finish()
    }
}

impl<T> WalSource<T> {
    pub(super) fn new(path: PathBuf, file: File, opened: u64, visible: Arc<AtomicU64>) -> Self {
        WalSource {
            path,
            file: Some(file),
            opened,
            start: 0,
            visible,
            errors: WalErrors::default(),
            _events: PhantomData,
        }
    }

    /// What the split stopped on, shared with it; see [`WalErrors`].
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-srcerrors-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let (_input, source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// let errors = source.errors(); // before `rt.attach(source)`
    /// assert_eq!(errors.corrupt() + errors.failed(), 0);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn errors(&self) -> WalErrors {
        self.errors.clone()
    }

    /// The offset the split starts at: 0, or where
    /// [`seek`](Source::seek) moved it.
    ///
    /// ```
    /// # use laminar_runtime::wal::{self, SyncPolicy, WalOptions};
    /// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-start-{}", std::process::id()));
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// use laminar_runtime::source::{Position, Source};
    /// let (mut input, _) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// let at = input.submit(&1)?;
    /// # drop(input);
    /// // Reopened: a seek may go up to the end of the log as it was opened.
    /// let (_, mut source) = wal::log::<u64>(&dir, WalOptions::new())?;
    /// assert_eq!(source.start(), 0);
    /// source.seek(&[Position { partition: 0, offset: at }])?;
    /// assert_eq!(source.start(), at);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(&self) -> u64 {
        self.start
    }
}

impl<T: Serialize + DeserializeOwned + Send + 'static> Source<T> for WalSource<T> {
    type Split = WalSplit<T>;

    fn split(&mut self, core: usize, cores: usize) -> WalSplit<T> {
        // Partition 0 goes to core 0 (`p % cores == core`).
        let _ = cores;
        let reader = if core == 0 {
            let file = match self.file.take() {
                Some(file) => Ok(file),
                None => File::open(&self.path),
            };
            match file.and_then(|mut f| f.seek(SeekFrom::Start(self.start)).map(|_| f)) {
                Ok(f) => Some(BufReader::with_capacity(READ_BUFFER, f)),
                Err(e) => {
                    self.errors.fail(&self.path, self.start, &e);
                    None
                }
            }
        } else {
            None
        };
        WalSplit {
            path: self.path.clone(),
            mine: core == 0,
            reader,
            offset: self.start,
            visible: self.visible.clone(),
            errors: self.errors.clone(),
            payload: Vec::new(),
            _events: PhantomData,
        }
    }

    fn replayable(&self) -> bool {
        true
    }

    fn seek(&mut self, positions: &[Position]) -> Result<(), SourceError> {
        known_partitions(positions, 1)?;
        for p in positions {
            if p.offset > self.opened {
                return Err(SourceError::Io {
                    what: format!(
                        "moving the write-ahead log {} to byte {}",
                        self.path.display(),
                        p.offset
                    ),
                    source: io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "the log ends at byte {}: records the checkpoint had read are \
                             not in it (lost to a power loss under SyncPolicy::Batch or Never, \
                             or another log)",
                            self.opened
                        ),
                    ),
                });
            }
            self.start = p.offset;
        }
        Ok(())
    }
}

/// The split of a [`WalSource`]: core 0 reads the log, the others nothing.
///
/// ```
/// use laminar_runtime::source::{Read, Source, Split};
/// use laminar_runtime::wal::{self, WalOptions};
/// # let dir = std::env::temp_dir().join(format!("laminar-doc-wal-split-{}", std::process::id()));
/// # let _ = std::fs::remove_dir_all(&dir);
/// let (mut input, mut source) = wal::log::<u64>(&dir, WalOptions::new())?;
/// let mut core_0 = source.split(0, 2);
/// let mut core_1 = source.split(1, 2);
/// let mut buf = Vec::new();
/// assert_eq!(core_0.read(&mut buf, 10), Read::Idle); // caught up
/// assert_eq!(core_1.read(&mut buf, 10), Read::End); // no partition
/// input.submit(&5)?;
/// assert_eq!(core_0.read(&mut buf, 10), Read::More);
/// assert_eq!(buf, [5]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WalSplit<T> {
    path: PathBuf,
    /// Whether this split has the partition (core 0).
    mine: bool,
    /// `None` on other cores, and once the split ended.
    reader: Option<BufReader<File>>,
    /// The offset of the next record.
    offset: u64,
    visible: Arc<AtomicU64>,
    errors: WalErrors,
    payload: Vec<u8>,
    _events: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for WalSplit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalSplit")
            .field("path", &self.path)
            .field("mine", &self.mine)
            .field("ended", &self.reader.is_none())
            .field("offset", &self.offset)
            .finish()
    }
}

/// Why a split stopped inside its loop.
enum Stop {
    /// Caught up with the writer.
    Idle,
    /// The end marker, a damaged record or a failed read.
    End,
}

impl<T: Serialize + DeserializeOwned + Send + 'static> WalSplit<T> {
    fn next(&mut self, visible: u64) -> Result<T, Stop> {
        let Some(reader) = self.reader.as_mut() else {
            return Err(Stop::End);
        };
        if self.offset + HEADER > visible {
            return Err(Stop::Idle);
        }
        let mut h = [0; HEADER as usize];
        if let Err(e) = reader.read_exact(&mut h) {
            return Err(self.failed(&e));
        }
        let (len, crc) = frame::parse_header(&h);
        if len == END_LEN {
            if crc == frame::checksum(END_LEN, &[]) {
                // Stays at the marker, so a position recorded now replays
                // to the end too.
                self.reader = None;
                return Err(Stop::End);
            }
            return Err(self.corrupt(&"the end marker's checksum does not match"));
        }
        let end = self.offset + HEADER + u64::from(len);
        if end > visible {
            // The writer publishes whole records only: a header that runs
            // past the published length was not written by it.
            return Err(self.corrupt(&format_args!(
                "a record of {len} bytes runs past the log's published end at byte {visible}"
            )));
        }
        self.payload.resize(len as usize, 0);
        if let Err(e) = reader.read_exact(&mut self.payload) {
            return Err(self.failed(&e));
        }
        if frame::checksum(len, &self.payload) != crc {
            return Err(self.corrupt(&"the record's checksum does not match"));
        }
        match T::decode(&self.payload) {
            Ok(event) => {
                self.offset = end;
                Ok(event)
            }
            Err(e) => Err(self.corrupt(&format_args!(
                "the record does not decode as {}: {e}",
                std::any::type_name::<T>()
            ))),
        }
    }

    fn corrupt(&mut self, cause: &dyn fmt::Display) -> Stop {
        self.errors.corrupted(&self.path, self.offset, cause);
        self.reader = None;
        Stop::End
    }

    fn failed(&mut self, cause: &dyn fmt::Display) -> Stop {
        self.errors.fail(&self.path, self.offset, cause);
        self.reader = None;
        Stop::End
    }
}

impl<T: Serialize + DeserializeOwned + Send + 'static> Split<T> for WalSplit<T> {
    fn read(&mut self, buf: &mut Vec<T>, max: usize) -> Read {
        let visible = self.visible.load(Ordering::Acquire);
        while buf.len() < max {
            match self.next(visible) {
                Ok(event) => buf.push(event),
                Err(Stop::Idle) => {
                    return if buf.is_empty() {
                        Read::Idle
                    } else {
                        Read::More
                    };
                }
                Err(Stop::End) => return Read::End,
            }
        }
        Read::More
    }

    fn positions(&self, out: &mut Vec<Position>) {
        if self.mine {
            out.push(Position {
                partition: 0,
                offset: self.offset,
            });
        }
    }
}
