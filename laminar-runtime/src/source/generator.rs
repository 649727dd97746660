//! A replayable source that computes its events: [`generator`].

use std::fmt;

use super::{Position, Read, Source, SourceError, Split};

/// A deterministic source of `partitions` streams of `len_per_partition`
/// events each: event `i` of partition `p` is `f(p, i)`, computed when it
/// is read, so the same positions replay the same events.
///
/// A partition's offset is the index of its next event. Core `core` of
/// `cores` reads the partitions `p` with `p % cores == core`, round-robin,
/// one batch each, so that they advance together. For a source with no
/// end, give `u64::MAX` as the length.
///
/// ```
/// use laminar_runtime::source::{self, Position, Source, Split};
///
/// // Two partitions of three events: (partition, index).
/// let mut src = source::generator(2, 3, |p, i| (p, i));
/// let mut split = src.split(0, 1); // one core reads both
/// let mut buf = Vec::new();
/// split.read(&mut buf, 2); // a batch from partition 0
/// split.read(&mut buf, 2); // then one from partition 1
/// assert_eq!(buf, [(0, 0), (0, 1), (1, 0), (1, 1)]);
///
/// let mut at = Vec::new();
/// split.positions(&mut at);
/// assert_eq!(at, [Position { partition: 0, offset: 2 }, Position { partition: 1, offset: 2 }]);
///
/// // Resumed on two cores: core 1 reads partition 1 from event 2.
/// let mut again = source::generator(2, 3, |p, i| (p, i));
/// again.seek(&at)?;
/// let mut buf = Vec::new();
/// again.split(1, 2).read(&mut buf, 10);
/// assert_eq!(buf, [(1, 2)]);
/// # Ok::<(), laminar_runtime::source::SourceError>(())
/// ```
pub fn generator<T, F>(partitions: u32, len_per_partition: u64, f: F) -> Generator<F>
where
    F: Fn(u32, u64) -> T + Clone + Send + 'static,
{
    Generator {
        starts: vec![0; partitions as usize],
        len: len_per_partition,
        f,
    }
}

/// See [`generator`].
#[derive(Clone)]
pub struct Generator<F> {
    /// The index each partition starts at.
    starts: Vec<u64>,
    len: u64,
    f: F,
}

impl<F> Generator<F> {
    /// The number of partitions.
    pub fn partitions(&self) -> u32 {
        self.starts.len() as u32
    }
}

impl<T, F> Source<T> for Generator<F>
where
    F: Fn(u32, u64) -> T + Clone + Send + 'static,
{
    type Split = GeneratorSplit<F>;

    fn split(&mut self, core: usize, cores: usize) -> GeneratorSplit<F> {
        let cores = cores.max(1);
        let parts = (self.starts.iter().enumerate())
            .filter(|(p, _)| p % cores == core)
            .map(|(p, &next)| (p as u32, next))
            .collect();
        GeneratorSplit {
            parts,
            next: 0,
            len: self.len,
            f: self.f.clone(),
        }
    }

    fn replayable(&self) -> bool {
        true
    }

    /// Starts each listed partition at its index; an index at or past the
    /// length leaves the partition with nothing to read.
    fn seek(&mut self, positions: &[Position]) -> Result<(), SourceError> {
        super::known_partitions(positions, self.partitions())?;
        for p in positions {
            self.starts[p.partition as usize] = p.offset;
        }
        Ok(())
    }
}

impl<F> fmt::Debug for Generator<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("starts", &self.starts)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// One core's partitions of a [`Generator`], read round-robin, a batch
/// each.
#[derive(Clone)]
pub struct GeneratorSplit<F> {
    /// (partition, index of its next event).
    parts: Vec<(u32, u64)>,
    /// The part the next read starts with.
    next: usize,
    len: u64,
    f: F,
}

impl<T, F> Split<T> for GeneratorSplit<F>
where
    F: Fn(u32, u64) -> T + Clone + Send + 'static,
{
    /// A batch of up to `max` events from the partition whose turn it is,
    /// and from the following ones if it ends first. Ends when all have.
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
            let (partition, at) = &mut self.parts[i];
            let take = self.len.saturating_sub(*at).min((max - got) as u64);
            let f = &self.f;
            let (p, from) = (*partition, *at);
            buf.extend((from..from + take).map(|i| f(p, i)));
            *at += take;
        }
        if self.parts.iter().all(|&(_, at)| at >= self.len) {
            Read::End
        } else {
            Read::More
        }
    }

    fn positions(&self, out: &mut Vec<Position>) {
        out.extend((self.parts.iter()).map(|&(partition, offset)| Position { partition, offset }));
    }
}

impl<F> fmt::Debug for GeneratorSplit<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratorSplit")
            .field("parts", &self.parts)
            .field("next", &self.next)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}
