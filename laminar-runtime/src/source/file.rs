//! Replayable file sources: JSON lines and CSV, one partition a file. See
//! [`FileSource`].

use std::fmt;
use std::fs::File;
use std::io::{self, Seek, SeekFrom};
#[cfg(feature = "json")]
use std::io::{BufRead, BufReader};
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::tally::Tally;
use super::{Position, Read, Source, SourceError, Split};

/// Bytes of read-ahead per JSON-lines file.
#[cfg(feature = "json")]
const READ_BUFFER: usize = 64 * 1024;

/// Files of JSON lines, one partition a file: each non-blank line is one
/// `T`, parsed with `serde_json`.
///
/// Every file is opened here, so that a missing file is an error now and
/// not a panic or a silent gap later. See [`FileSource`] for how
/// malformed lines are counted.
///
/// ```
/// use laminar_runtime::source::{self, Read, Source, Split};
/// # let dir = std::env::temp_dir().join(format!("laminar-doc-json-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("bids.jsonl");
/// std::fs::write(&path, "[1, 10]\n[2, 20]\nnot json\n[3, 30]\n")?;
///
/// let mut src = source::json_lines::<(u32, u64)>([&path])?;
/// let errors = src.errors(); // keep a handle: `src` moves into the runtime
/// let mut split = src.split(0, 1);
/// let mut buf = Vec::new();
/// assert_eq!(split.read(&mut buf, 100), Read::End);
/// assert_eq!(buf, [(1, 10), (2, 20), (3, 30)]);
/// assert_eq!(errors.rejected(), 1); // "not json", skipped and counted
///
/// let mut at = Vec::new();
/// split.positions(&mut at);
/// assert_eq!(at, [source::Position { partition: 0, offset: 33 }]); // the end
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "json")]
pub fn json_lines<T: DeserializeOwned + Send + 'static>(
    paths: impl IntoIterator<Item = impl AsRef<Path>>,
) -> Result<FileSource<T>, SourceError> {
    FileSource::open(paths, Format::JsonLines)
}

/// CSV files, one partition a file, with a header row: each record is one
/// `T`, deserialized by the `csv` crate through serde (fields by header
/// name). [`csv_with`] reads files without headers or with another
/// delimiter.
///
/// Every file is opened and its header row read here, so that a missing
/// file is an error now. See [`FileSource`] for how malformed records
/// are counted.
///
/// ```
/// use laminar_runtime::source::{self, Read, Source, Split};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Bid {
///     auction: u32,
///     price: u64,
/// }
/// # let dir = std::env::temp_dir().join(format!("laminar-doc-csv-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("bids.csv");
/// std::fs::write(&path, "price,auction\n10,1\n20,2\n")?;
///
/// let mut src = source::csv::<Bid>([&path])?;
/// let mut split = src.split(0, 1);
/// let mut buf = Vec::new();
/// split.read(&mut buf, 1);
/// assert_eq!(buf, [Bid { auction: 1, price: 10 }]);
///
/// // The next record starts at byte 19, after "price,auction\n10,1\n".
/// let mut at = Vec::new();
/// split.positions(&mut at);
/// assert_eq!(at, [source::Position { partition: 0, offset: 19 }]);
///
/// // A new source resumes there.
/// let mut again = source::csv::<Bid>([&path])?;
/// again.seek(&at)?;
/// let mut buf = Vec::new();
/// again.split(0, 1).read(&mut buf, 10);
/// assert_eq!(buf, [Bid { auction: 2, price: 20 }]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "csv")]
pub fn csv<T: DeserializeOwned + Send + 'static>(
    paths: impl IntoIterator<Item = impl AsRef<Path>>,
) -> Result<FileSource<T>, SourceError> {
    csv_with(paths, CsvOptions::new())
}

/// CSV files read with `options` (headers or not, delimiter); see
/// [`csv()`].
///
/// ```
/// use laminar_runtime::source::{self, CsvOptions, Source, Split};
/// # let dir = std::env::temp_dir().join(format!("laminar-doc-csvw-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("pairs.csv");
/// std::fs::write(&path, "1;one\n2;two\n")?;
///
/// let options = CsvOptions::new().headers(false).delimiter(b';');
/// let mut src = source::csv_with::<(u32, String)>([&path], options)?;
/// let mut buf = Vec::new();
/// src.split(0, 1).read(&mut buf, 10);
/// assert_eq!(buf, [(1, "one".to_string()), (2, "two".to_string())]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "csv")]
pub fn csv_with<T: DeserializeOwned + Send + 'static>(
    paths: impl IntoIterator<Item = impl AsRef<Path>>,
    options: CsvOptions,
) -> Result<FileSource<T>, SourceError> {
    FileSource::open(paths, Format::Csv(options))
}

/// How [`csv_with`] reads its files.
///
/// ```
/// use laminar_runtime::source::CsvOptions;
/// let tabs = CsvOptions::new().delimiter(b'\t').headers(false);
/// # let _ = tabs;
/// ```
#[cfg(feature = "csv")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    headers: bool,
    delimiter: u8,
}

#[cfg(feature = "csv")]
impl CsvOptions {
    /// A header row, fields separated by commas.
    pub fn new() -> Self {
        CsvOptions {
            headers: true,
            delimiter: b',',
        }
    }

    /// Whether each file starts with a header row (the default). With one,
    /// fields are matched to a struct's fields by name; without, by place.
    pub fn headers(mut self, yes: bool) -> Self {
        self.headers = yes;
        self
    }

    /// The byte between fields (a comma by default).
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    fn reader(&self, file: File) -> ::csv::Reader<File> {
        ::csv::ReaderBuilder::new()
            // Headers are read once, at offset 0, and given to every
            // record: a reader that starts at a recorded offset must not
            // take its first record for headers.
            .has_headers(false)
            // The field count is checked against the file's first row
            // here, not against whatever row a resumed reader sees first.
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(file)
    }
}

#[cfg(feature = "csv")]
impl Default for CsvOptions {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Clone, Copy, Debug)]
enum Format {
    #[cfg(feature = "json")]
    JsonLines,
    #[cfg(feature = "csv")]
    Csv(CsvOptions),
}

/// What a file source skipped or stopped on, shared by the source and its
/// splits; read it from any thread, during or after a run. Get it with
/// [`FileSource::errors`] before attaching the source.
///
/// ```
/// # #[cfg(feature = "csv")] {
/// use laminar_runtime::source;
/// # let dir = std::env::temp_dir().join(format!("laminar-doc-err-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// # let path = dir.join("empty.csv");
/// # std::fs::write(&path, "")?;
/// let src = source::csv::<(u64,)>([&path])?;
/// let errors = src.errors();
/// assert_eq!((errors.rejected(), errors.failed(), errors.last()), (0, 0, None));
/// # std::fs::remove_dir_all(&dir)?;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct FileErrors(Arc<Tally>);

impl FileErrors {
    /// Malformed records skipped so far.
    pub fn rejected(&self) -> u64 {
        self.0.bad()
    }

    /// Reads that failed so far, each ending its file's part of a split.
    pub fn failed(&self) -> u64 {
        self.0.failed()
    }

    /// The message of the last rejected record or failed read: the file,
    /// the byte offset of the record, and the cause.
    pub fn last(&self) -> Option<String> {
        self.0.last()
    }

    fn reject(&self, path: &Path, offset: u64, cause: &dyn fmt::Display) {
        self.0.bad_record(path, offset, cause);
    }

    fn fail(&self, path: &Path, offset: u64, cause: &dyn fmt::Display) {
        self.0.failed_read(path, offset, cause);
    }
}

impl fmt::Debug for FileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileErrors")
            .field("rejected", &self.rejected())
            .field("failed", &self.failed())
            .field("last", &self.last())
            .finish()
    }
}

/// A replayable source over files: `json_lines` (one JSON value a line,
/// parsed by `serde_json`, with the `json` feature) and `csv` (records
/// parsed by the `csv` crate, with the `csv` feature, on by default), both
/// deserialized with serde into any `T: DeserializeOwned`.
///
/// Each file is one partition, numbered by its place in the list given to
/// the constructor. Core `core` of `cores` reads the files `p` with
/// `p % cores == core`, round-robin, one batch each, so that its files
/// advance together. A partition's offset is the byte offset of the start
/// of the next record to read, so the same positions resume a run on any
/// number of cores.
///
/// Files are read as finished files: a last line without its newline is a
/// record like any other (if it does not parse, it is rejected as below).
/// A file that is still being appended to is not tailed: its split ends at
/// the end it finds.
///
/// # Malformed input and errors
///
/// - A file that cannot be opened (or, for CSV, whose header row cannot be
///   read) is a [`SourceError::Io`] from the constructor; moving a file
///   that fails is one from [`seek`](Source::seek).
/// - A malformed record (not UTF-8, not valid JSON or CSV, not a `T`, or a
///   CSV record with a different number of fields than the first row) is
///   skipped: it is counted in [`FileErrors::rejected`], its message kept
///   in [`FileErrors::last`], and reading goes on with the next record.
///   Positions move past it, so a resumed run does not count it again.
/// - A read that fails (an I/O error in the middle of a file) ends that
///   file's part of the split: it is counted in [`FileErrors::failed`], its
///   message kept in [`FileErrors::last`], and its position stays at the
///   start of the record that could not be read, so that a run resumed
///   from a checkpoint tries that record again.
///
/// Blank lines (JSON lines) and empty lines (CSV) are not records: they are
/// skipped without being counted.
///
/// In a CSV file with CRLF line ends, the csv crate ends a record at its
/// CR, so the offset recorded after it is that of the LF: an empty line,
/// skipped, so that a resumed reader's first record is still the next one.
///
/// ```
/// use laminar_runtime::source::{FileSource, Source};
/// fn resumable<T>(src: &FileSource<T>) -> bool
/// where
///     T: serde::de::DeserializeOwned + Send + 'static,
/// {
///     src.replayable() && src.errors().rejected() == 0
/// }
/// # let _ = resumable::<u8>;
/// ```
pub struct FileSource<T> {
    format: Format,
    files: Vec<FilePart>,
    errors: FileErrors,
    _events: PhantomData<fn() -> T>,
}

/// One file of a [`FileSource`], before it is split.
#[derive(Debug)]
struct FilePart {
    path: Arc<Path>,
    /// The handle opened by the constructor, positioned at `start`, until a
    /// split takes it.
    file: Option<File>,
    /// Where reading starts: 0, after the header row, or where `seek` put it.
    start: u64,
    /// Where the first record starts (after a CSV header row).
    first: u64,
    /// The CSV header row, if the format has one and the file is not empty.
    #[cfg(feature = "csv")]
    headers: Option<Arc<::csv::StringRecord>>,
    /// The field count of the file's first CSV row, which every record must
    /// have.
    #[cfg(feature = "csv")]
    width: Option<usize>,
}

fn io_error(path: &Path, what: &str, source: io::Error) -> SourceError {
    SourceError::Io {
        what: format!("{what} {}", path.display()),
        source,
    }
}

impl<T: DeserializeOwned + Send + 'static> FileSource<T> {
    fn open(
        paths: impl IntoIterator<Item = impl AsRef<Path>>,
        format: Format,
    ) -> Result<Self, SourceError> {
        let mut files = Vec::new();
        for path in paths {
            let path: Arc<Path> = Arc::from(path.as_ref());
            let file = File::open(&path).map_err(|e| io_error(&path, "opening", e))?;
            let mut part = FilePart {
                path,
                file: Some(file),
                start: 0,
                first: 0,
                #[cfg(feature = "csv")]
                headers: None,
                #[cfg(feature = "csv")]
                width: None,
            };
            part.prepare(format)?;
            files.push(part);
        }
        if u32::try_from(files.len()).is_err() {
            return Err(SourceError::Io {
                what: "opening the files of a source".into(),
                source: io::Error::new(io::ErrorKind::InvalidInput, "more than u32::MAX files"),
            });
        }
        Ok(FileSource {
            format,
            files,
            errors: FileErrors::default(),
            _events: PhantomData,
        })
    }

    /// The partitions: one a file, in the order given.
    pub fn partitions(&self) -> u32 {
        self.files.len() as u32
    }

    /// Counts of the records skipped and the reads that failed, shared with
    /// every split; see [`FileErrors`].
    pub fn errors(&self) -> FileErrors {
        self.errors.clone()
    }

    /// Malformed records skipped so far (as [`FileErrors::rejected`]).
    pub fn rejected(&self) -> u64 {
        self.errors.rejected()
    }

    /// The last error message (as [`FileErrors::last`]).
    pub fn last_error(&self) -> Option<String> {
        self.errors.last()
    }
}

impl FilePart {
    /// Reads what the format needs before any record.
    fn prepare(&mut self, format: Format) -> Result<(), SourceError> {
        match format {
            #[cfg(feature = "json")]
            Format::JsonLines => Ok(()),
            #[cfg(feature = "csv")]
            Format::Csv(options) => self.read_header(options),
        }
    }

    /// Reads the first row of a CSV file: the header row if the format has
    /// one (reading then starts after it), and in any case the field count
    /// that every record must have.
    #[cfg(feature = "csv")]
    fn read_header(&mut self, options: CsvOptions) -> Result<(), SourceError> {
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        let mut first = ::csv::StringRecord::new();
        let found = {
            let mut rdr = options.reader(
                file.try_clone()
                    .map_err(|e| io_error(&self.path, "opening", e))?,
            );
            let found = rdr.read_record(&mut first).map_err(|e| {
                let kind = if e.is_io_error() {
                    io::ErrorKind::Other
                } else {
                    io::ErrorKind::InvalidData
                };
                io_error(
                    &self.path,
                    "reading the first row of",
                    io::Error::new(kind, e.to_string()),
                )
            })?;
            if found && options.headers {
                self.first = rdr.position().byte();
            }
            found
        };
        if found {
            self.width = Some(first.len());
            if options.headers {
                self.headers = Some(Arc::new(first));
            }
        }
        self.start = self.first;
        file.seek(SeekFrom::Start(self.start))
            .map_err(|e| io_error(&self.path, "seeking", e))?;
        Ok(())
    }

    /// The handle to read from, at `start`: the one opened by the
    /// constructor, or the file opened again if a split took that one.
    fn take_file(&mut self) -> io::Result<File> {
        match self.file.take() {
            Some(file) => Ok(file),
            None => {
                let mut file = File::open(&self.path)?;
                file.seek(SeekFrom::Start(self.start))?;
                Ok(file)
            }
        }
    }
}

impl<T: DeserializeOwned + Send + 'static> Source<T> for FileSource<T> {
    type Split = FileSplit<T>;

    /// The files `p` with `p % cores == core`. A file that a split before
    /// took is opened again; if that fails, the failure is counted in
    /// [`FileErrors::failed`] and the file reads nothing.
    fn split(&mut self, core: usize, cores: usize) -> FileSplit<T> {
        let cores = cores.max(1);
        let mut parts = Vec::new();
        for (p, part) in self.files.iter_mut().enumerate() {
            if p % cores != core {
                continue;
            }
            let (reader, done) = match part.take_file() {
                Ok(file) => (Reader::new(self.format, file, part), false),
                Err(e) => {
                    self.errors.fail(&part.path, part.start, &e);
                    (Reader::Closed, true)
                }
            };
            parts.push(PartReader {
                partition: p as u32,
                path: part.path.clone(),
                offset: part.start,
                done,
                reader,
            });
        }
        FileSplit {
            parts,
            next: 0,
            errors: self.errors.clone(),
            _events: PhantomData,
        }
    }

    fn replayable(&self) -> bool {
        true
    }

    /// Moves each listed file to its byte offset, which must be the start
    /// of a record (as [`Split::positions`] records them). For a CSV file
    /// with headers, an offset inside the header row starts after it.
    fn seek(&mut self, positions: &[Position]) -> Result<(), SourceError> {
        super::known_partitions(positions, self.partitions())?;
        for p in positions {
            let part = &mut self.files[p.partition as usize];
            part.start = p.offset.max(part.first);
            if let Some(file) = part.file.as_mut() {
                file.seek(SeekFrom::Start(part.start))
                    .map_err(|e| io_error(&part.path, "seeking", e))?;
            }
        }
        Ok(())
    }
}

impl<T> fmt::Debug for FileSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSource")
            .field("format", &self.format)
            .field("files", &self.files)
            .field("errors", &self.errors)
            .finish()
    }
}

/// One core's files of a [`FileSource`], read round-robin, a batch each.
pub struct FileSplit<T> {
    parts: Vec<PartReader>,
    /// The part the next read starts with.
    next: usize,
    errors: FileErrors,
    _events: PhantomData<fn() -> T>,
}

struct PartReader {
    partition: u32,
    path: Arc<Path>,
    /// The byte offset of the next record to read.
    offset: u64,
    done: bool,
    reader: Reader,
}

enum Reader {
    #[cfg(feature = "json")]
    Json {
        file: BufReader<File>,
        line: Vec<u8>,
    },
    #[cfg(feature = "csv")]
    Csv {
        /// Buffered inside (the csv crate wraps its reader in a
        /// `BufReader`).
        file: ::csv::Reader<File>,
        /// The byte offset at which `file` started: its positions count
        /// from there.
        base: u64,
        headers: Option<Arc<::csv::StringRecord>>,
        width: Option<usize>,
        record: ::csv::StringRecord,
    },
    /// Nothing to read (the file could not be opened again).
    Closed,
}

impl Reader {
    fn new(format: Format, file: File, part: &FilePart) -> Reader {
        let _ = part;
        match format {
            #[cfg(feature = "json")]
            Format::JsonLines => Reader::Json {
                file: BufReader::with_capacity(READ_BUFFER, file),
                line: Vec::new(),
            },
            #[cfg(feature = "csv")]
            Format::Csv(options) => Reader::Csv {
                file: options.reader(file),
                base: part.start,
                headers: part.headers.clone(),
                width: part.width,
                record: ::csv::StringRecord::new(),
            },
        }
    }
}

impl PartReader {
    /// Appends up to `want` events; sets `done` at the end of the file or
    /// on a failed read.
    fn read<T: DeserializeOwned>(&mut self, buf: &mut Vec<T>, want: usize, errors: &FileErrors) {
        let mut got = 0;
        while got < want && !self.done {
            match &mut self.reader {
                #[cfg(feature = "json")]
                Reader::Json { file, line } => {
                    line.clear();
                    match file.read_until(b'\n', line) {
                        Ok(0) => self.done = true,
                        Ok(n) => {
                            let at = self.offset;
                            self.offset += n as u64;
                            let text = line.trim_ascii();
                            if text.is_empty() {
                                continue;
                            }
                            let parsed = std::str::from_utf8(text)
                                .map_err(|e| e.to_string())
                                .and_then(|s| {
                                    serde_json::from_str::<T>(s).map_err(|e| e.to_string())
                                });
                            match parsed {
                                Ok(event) => {
                                    buf.push(event);
                                    got += 1;
                                }
                                Err(e) => errors.reject(&self.path, at, &e),
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            errors.fail(&self.path, self.offset, &e);
                            self.done = true;
                        }
                    }
                }
                #[cfg(feature = "csv")]
                Reader::Csv {
                    file,
                    base,
                    headers,
                    width,
                    record,
                } => {
                    let at = self.offset;
                    match file.read_record(record) {
                        Ok(false) => self.done = true,
                        Ok(true) => {
                            self.offset = *base + file.position().byte();
                            match *width {
                                Some(w) if record.len() != w => errors.reject(
                                    &self.path,
                                    at,
                                    &format_args!(
                                        "a record of {} fields where the first row has {w}",
                                        record.len()
                                    ),
                                ),
                                _ => match record.deserialize::<T>(headers.as_deref()) {
                                    Ok(event) => {
                                        buf.push(event);
                                        got += 1;
                                    }
                                    Err(e) => errors.reject(&self.path, at, &e),
                                },
                            }
                        }
                        Err(e) if e.is_io_error() => {
                            errors.fail(&self.path, at, &e);
                            self.done = true;
                        }
                        Err(e) => {
                            // Not UTF-8: the record was read past.
                            self.offset = *base + file.position().byte();
                            errors.reject(&self.path, at, &e);
                        }
                    }
                }
                Reader::Closed => self.done = true,
            }
        }
    }
}

impl<T: DeserializeOwned + Send + 'static> Split<T> for FileSplit<T> {
    /// Reads from one file, then the next: a batch of up to `max` events
    /// from the file whose turn it is, and from the following ones if it
    /// ends first. Ends when all its files have.
    fn read(&mut self, buf: &mut Vec<T>, max: usize) -> Read {
        let start = buf.len();
        let n = self.parts.len();
        for _ in 0..n {
            let got = buf.len() - start;
            if got >= max {
                break;
            }
            let i = self.next;
            self.next = (self.next + 1) % n;
            let part = &mut self.parts[i];
            if !part.done {
                part.read(buf, max - got, &self.errors);
            }
        }
        if self.parts.iter().all(|p| p.done) {
            Read::End
        } else {
            Read::More
        }
    }

    fn positions(&self, out: &mut Vec<Position>) {
        out.extend(self.parts.iter().map(|p| Position {
            partition: p.partition,
            offset: p.offset,
        }));
    }
}

impl<T> fmt::Debug for FileSplit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut positions = Vec::new();
        for p in &self.parts {
            positions.push((p.partition, p.offset, p.done));
        }
        f.debug_struct("FileSplit")
            .field("partitions", &positions)
            .field("next", &self.next)
            .finish()
    }
}
