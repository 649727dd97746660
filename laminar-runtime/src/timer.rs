//! A timer service: a binary heap of (time, payload), earliest first, ties
//! in the order they were set. The heap keeps its capacity, so in steady
//! state setting and firing timers allocates nothing; its owner may give
//! back room far beyond what it uses.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::message::Timestamp;

struct Entry<T> {
    at: Timestamp,
    seq: u64,
    payload: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl<T> Eq for Entry<T> {}

impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Entry<T> {
    // Reversed: `BinaryHeap` is a max-heap and the earliest timer must
    // come out first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Timers keyed by time, for event time or processing time alike.
///
/// ```
/// use laminar_runtime::timer::Timers;
///
/// let mut timers = Timers::new();
/// timers.set(20, "b");
/// timers.set(10, "a");
/// timers.set(30, "c");
/// let mut fired = Vec::new();
/// timers.fire(25, |at, p| fired.push((at, p)));
/// assert_eq!(fired, [(10, "a"), (20, "b")]);
/// assert_eq!(timers.len(), 1);
/// ```
pub struct Timers<T> {
    heap: BinaryHeap<Entry<T>>,
    seq: u64,
}

// By hand, so that the payload needs no `Debug`: the count is what a reader
// of a stage's debug output wants.
impl<T> core::fmt::Debug for Timers<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Timers")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl<T> Timers<T> {
    /// Every pending timer, in no particular order: what a checkpoint
    /// keeps.
    pub fn iter(&self) -> impl Iterator<Item = (Timestamp, &T)> {
        self.heap.iter().map(|e| (e.at, &e.payload))
    }

    /// No timers.
    pub fn new() -> Self {
        Timers {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// Fires `payload` once time reaches `at`.
    pub fn set(&mut self, at: Timestamp, payload: T) {
        self.seq += 1;
        self.heap.push(Entry {
            at,
            seq: self.seq,
            payload,
        });
    }

    /// Calls `f` for every timer due at `now` (time `at <= now`), earliest
    /// first.
    pub fn fire(&mut self, now: Timestamp, mut f: impl FnMut(Timestamp, T)) {
        while self.heap.peek().is_some_and(|e| e.at <= now) {
            if let Some(e) = self.heap.pop() {
                f(e.at, e.payload);
            }
        }
    }

    /// The earliest pending time.
    pub fn next(&self) -> Option<Timestamp> {
        self.heap.peek().map(|e| e.at)
    }

    /// Gives back room for timers far beyond the `need` of late (see
    /// [`oversized`](crate::room::oversized)), such as after a burst of keys.
    pub(crate) fn shrink_if_oversized(&mut self, need: usize) {
        let need = need.max(self.heap.len());
        if crate::room::oversized(self.heap.capacity(), need) {
            self.heap.shrink_to(2 * need);
        }
    }

    /// Pending timers.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// No pending timers.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

impl<T> Default for Timers<T> {
    fn default() -> Self {
        Self::new()
    }
}
