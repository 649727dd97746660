//! Sources that run inside the cores: a [`Source`] is split once per core,
//! and each core reads its own [`Split`] on its own thread, so events go
//! from where they are read into the core's chain with no thread hand-off.
//!
//! Attach one with [`Runtime::attach`](crate::Runtime::attach). A pipeline
//! can have sources, input handles, or both; each split is one more input
//! of its core, with its own watermark.
//!
//! Replayable sources report [`Split::positions`] and resume with
//! [`Source::seek`]: `json_lines` and `csv` read files (one partition a
//! file, with the `json` and `csv` features; `csv` is on by default; see
//! `FileSource`), and [`generator()`] computes its events from their
//! partition and index.
//!
//! Where an event is processed depends on the pipeline's route:
//!
//! - unkeyed pipelines (round-robin) process each event on the core that
//!   read it: no exchange at all;
//! - keyed pipelines (`key_by`) and `window_all` send each event to the
//!   core that owns its key, through an exchange: one SPSC ring from every
//!   core to every other, carrying batches of events, vectors recycled, one
//!   credit per event. A core whose destination ring is full does not wait:
//!   it keeps the events it read, stops reading its split, and goes on
//!   consuming its own inputs (which frees the rings that other cores wait
//!   on), so that two cores sending to each other never deadlock.
//!
//! ```
//! use laminar_runtime::source::{self, Source};
//! use laminar_runtime::{Emit, Operator, Pipeline, RoundRobin, Runtime};
//!
//! struct Square;
//! impl Operator for Square {
//!     type In = u64;
//!     type Out = u64;
//!     fn on_event<E: Emit<u64>>(&mut self, e: u64, out: &mut E) {
//!         out.emit(e * e)
//!     }
//! }
//! struct P;
//! impl Pipeline for P {
//!     type In = u64;
//!     type Out = u64;
//!     type Op = Square;
//!     type Route = RoundRobin;
//!     fn route(&self) -> RoundRobin {
//!         RoundRobin::default()
//!     }
//!     fn instantiate(&self, _core: usize) -> Square {
//!         Square
//!     }
//! }
//!
//! let rt = Runtime::builder().cores(2).build(P)?;
//! // Core `i` of `n` reads the numbers `i, i + n, i + 2n, ...` below 1000.
//! rt.attach(source::from_fn(|core, cores| (core as u64..1000).step_by(cores)));
//! let mut out = Vec::new();
//! let report = rt.finish_into(&mut out)?; // waits for the sources to end
//! assert_eq!(out.len(), 1000);
//! assert_eq!(out.iter().sum::<u64>(), (0..1000u64).map(|x| x * x).sum::<u64>());
//! assert_eq!(report.read(), 1000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

#[cfg(any(feature = "json", feature = "csv"))]
mod file;
mod generator;
mod tally;

#[cfg(feature = "json")]
pub use file::json_lines;
#[cfg(feature = "csv")]
pub use file::{CsvOptions, csv, csv_with};
#[cfg(any(feature = "json", feature = "csv"))]
pub use file::{FileErrors, FileSource, FileSplit};
pub use generator::{Generator, GeneratorSplit, generator};
pub(crate) use tally::Tally;

/// What a [`Split::read`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Read {
    /// It appended events (or may have more right away): read again soon.
    More,
    /// Nothing now, more later (a tailed file, a socket): the core polls it
    /// again when it has nothing else to do, at least every few
    /// milliseconds.
    Idle,
    /// The split is done; it is not read again. The events appended by this
    /// call are processed.
    End,
}

/// One core's share of a [`Source`], read on that core's thread.
pub trait Split<T>: Send + 'static {
    /// Appends at most `max` events to `buf` (which the core has emptied)
    /// and says whether more will come.
    fn read(&mut self, buf: &mut Vec<T>, max: usize) -> Read;

    /// Where a replayable split stands: for each partition it reads, the
    /// offset of the next event [`read`](Self::read) will hand out. A
    /// checkpoint records these at its barrier, after every event read
    /// before it entered the chain; recovery gives them back to
    /// [`Source::seek`]. A split that cannot be replayed adds nothing (the
    /// default).
    fn positions(&self, out: &mut Vec<Position>) {
        let _ = out;
    }
}

/// Where one partition of a replayable source stands: the offset of the
/// next event to read, in the source's own unit (a byte offset for a file,
/// a sequence number for a generator or a log).
///
/// A partition is what a source replays independently: a file, a log
/// partition, one stream of a generator. Splits group partitions per core,
/// so that the same positions restore a run on any number of cores.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Position {
    /// The partition's number, stable across runs and core counts.
    pub partition: u32,
    /// The offset of the next event to read.
    pub offset: u64,
}

/// [`SourceError::UnknownPartition`] for the first position whose
/// partition is not below `partitions`: what every `seek` checks first.
pub(crate) fn known_partitions(positions: &[Position], partitions: u32) -> Result<(), SourceError> {
    match positions.iter().find(|p| p.partition >= partitions) {
        Some(p) => Err(SourceError::UnknownPartition {
            partition: p.partition,
            partitions,
        }),
        None => Ok(()),
    }
}

/// Why a source could not be moved to recorded positions.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The source has no positions: it cannot resume a checkpointed run.
    #[error("this source cannot be replayed from a checkpoint's positions")]
    NotReplayable,
    /// A recorded partition is not one of the source's.
    #[error(
        "the checkpoint records partition {partition}, which this source does not have ({partitions} partitions)"
    )]
    UnknownPartition {
        /// The partition recorded.
        partition: u32,
        /// How many the source has.
        partitions: u32,
    },
    /// The source's files or connection failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being opened or read.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// A source of events that splits into one [`Split`] per core.
///
/// Splitting is the source's choice: by range, by stride, by file, by log
/// partition. For event time, splits that advance through time together
/// keep the cores' watermarks close, and with them the state windows hold
/// (a core's watermark is the minimum over all its inputs).
pub trait Source<T>: Send + 'static {
    /// The split each core reads.
    type Split: Split<T>;

    /// Split `core` of `cores`, called once per core, on the thread that
    /// attaches the source.
    fn split(&mut self, core: usize, cores: usize) -> Self::Split;

    /// Whether the source can resume from positions: its splits report
    /// [`Split::positions`] and [`seek`](Self::seek) moves it. A run that
    /// keeps checkpoints records the positions of replayable sources only;
    /// the events of the others are not replayed after a crash.
    fn replayable(&self) -> bool {
        false
    }

    /// Moves every partition in `positions` to its offset, before the
    /// source is split: recovery calls it with what the last complete
    /// checkpoint recorded, so that the run reads each event after that
    /// checkpoint once more and none before it. Partitions not listed start
    /// at their beginning.
    fn seek(&mut self, positions: &[Position]) -> Result<(), SourceError> {
        let _ = positions;
        Err(SourceError::NotReplayable)
    }
}

/// A source from a function that gives core `core` of `cores` an iterator
/// of its events.
///
/// ```
/// use laminar_runtime::source;
/// // Each core reads every `cores`-th line of a shared list.
/// let lines: std::sync::Arc<[String]> = vec!["a".into(), "b".into()].into();
/// let src = source::from_fn(move |core, cores| {
///     let lines = lines.clone();
///     (core..lines.len()).step_by(cores).map(move |i| lines[i].clone())
/// });
/// # let _ = src;
/// ```
pub fn from_fn<T, I, F>(f: F) -> FromFn<F>
where
    F: FnMut(usize, usize) -> I + Send + 'static,
    I: IntoIterator<Item = T>,
    I::IntoIter: Send + 'static,
{
    FromFn(f)
}

/// See [`from_fn`].
#[derive(Clone, Debug)]
pub struct FromFn<F>(F);

impl<T, I, F> Source<T> for FromFn<F>
where
    F: FnMut(usize, usize) -> I + Send + 'static,
    I: IntoIterator<Item = T>,
    I::IntoIter: Send + 'static,
{
    type Split = IterSplit<I::IntoIter>;

    fn split(&mut self, core: usize, cores: usize) -> Self::Split {
        IterSplit((self.0)(core, cores).into_iter())
    }
}

/// A split that reads an iterator to its end.
#[derive(Clone, Debug)]
pub struct IterSplit<I>(I);

impl<T, I: Iterator<Item = T> + Send + 'static> Split<T> for IterSplit<I> {
    #[inline]
    fn read(&mut self, buf: &mut Vec<T>, max: usize) -> Read {
        buf.extend(self.0.by_ref().take(max));
        if buf.len() < max {
            Read::End
        } else {
            Read::More
        }
    }
}

/// Events in one block of a [`from_slice`] source: large enough that a
/// core reads its share in long sequential runs, small enough that the
/// cores move through a time-ordered slice together.
pub const SLICE_BLOCK: usize = 1024;

/// A source over shared, in-memory events: the slice is cut into blocks of
/// [`SLICE_BLOCK`] events, dealt out to the cores in turn (core `i` of `n`
/// reads blocks `i, i + n, i + 2n, ...`), and each event is cloned into its
/// core's chain. For events in time order, the cores then advance through
/// time together.
///
/// ```
/// use laminar_runtime::source::{self, Source, Split};
/// let events: std::sync::Arc<[u32]> = (0..3000).collect();
/// let mut src = source::from_slice(events);
/// let mut buf = Vec::new();
/// let mut second = src.split(1, 2);
/// second.read(&mut buf, 10);
/// assert_eq!(buf[..2], [1024, 1025]); // the second block
/// ```
pub fn from_slice<T: Clone + Send + Sync + 'static>(events: Arc<[T]>) -> SliceSource<T> {
    SliceSource { events }
}

/// See [`from_slice`].
#[derive(Clone, Debug)]
pub struct SliceSource<T> {
    events: Arc<[T]>,
}

impl<T: Clone + Send + Sync + 'static> Source<T> for SliceSource<T> {
    type Split = SliceSplit<T>;

    fn split(&mut self, core: usize, cores: usize) -> SliceSplit<T> {
        SliceSplit {
            events: self.events.clone(),
            block: core,
            step: cores.max(1),
            at: core.saturating_mul(SLICE_BLOCK),
        }
    }
}

/// One core's blocks of a [`SliceSource`].
#[derive(Clone, Debug)]
pub struct SliceSplit<T> {
    events: Arc<[T]>,
    /// The block being read.
    block: usize,
    step: usize,
    /// The next event to read, inside `block`.
    at: usize,
}

impl<T: Clone + Send + Sync + 'static> Split<T> for SliceSplit<T> {
    fn read(&mut self, buf: &mut Vec<T>, max: usize) -> Read {
        let len = self.events.len();
        while buf.len() < max {
            if self.at >= len {
                return Read::End;
            }
            let block_end = (self.block.saturating_add(1))
                .saturating_mul(SLICE_BLOCK)
                .min(len);
            let take = (block_end - self.at).min(max - buf.len());
            buf.extend_from_slice(&self.events[self.at..self.at + take]);
            self.at += take;
            if self.at == block_end {
                self.block = self.block.saturating_add(self.step);
                self.at = self.block.saturating_mul(SLICE_BLOCK);
            }
        }
        if self.at >= len {
            Read::End
        } else {
            Read::More
        }
    }
}

/// A source whose splits are given: split `i` goes to core `i`, and cores
/// beyond the list read nothing. For sources that are already partitioned
/// (one file per core, one log partition per core).
///
/// ```
/// use laminar_runtime::source::{self, Source};
/// let mut src = source::from_splits(vec![
///     source::iter(vec![1, 2]),
///     source::iter(vec![3]),
/// ]);
/// let _core_0 = src.split(0, 2);
/// ```
pub fn from_splits<T, S: Split<T>>(splits: Vec<S>) -> FromSplits<S> {
    FromSplits {
        splits: splits.into_iter().map(Some).collect(),
    }
}

/// See [`from_splits`].
#[derive(Debug)]
pub struct FromSplits<S> {
    splits: Vec<Option<S>>,
}

impl<T, S: Split<T>> Source<T> for FromSplits<S> {
    type Split = Option<S>;

    fn split(&mut self, core: usize, _cores: usize) -> Option<S> {
        self.splits.get_mut(core).and_then(Option::take)
    }
}

/// No split: reads nothing and ends.
impl<T, S: Split<T>> Split<T> for Option<S> {
    #[inline]
    fn read(&mut self, buf: &mut Vec<T>, max: usize) -> Read {
        match self {
            Some(s) => s.read(buf, max),
            None => Read::End,
        }
    }

    fn positions(&self, out: &mut Vec<Position>) {
        if let Some(s) = self {
            s.positions(out);
        }
    }
}

/// A split over any iterator, for [`from_splits`].
pub fn iter<I: IntoIterator>(events: I) -> IterSplit<I::IntoIter> {
    IterSplit(events.into_iter())
}

/// A split as the worker holds it: type-erased, read one batch per call.
pub(crate) type BoxedSplit<T> = Box<dyn Split<T>>;
