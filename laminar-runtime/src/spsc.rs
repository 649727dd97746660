//! A bounded, lock-free single-producer single-consumer ring.
//!
//! The ring is the only structure two cores share on the data path, so it is
//! built to touch as few shared cache lines as possible:
//!
//! - `head` (written by the consumer) and `tail` (written by the producer) live
//!   on separate cache lines;
//! - each side keeps a private copy of the other side's index and reloads the
//!   shared one only when its copy says the ring is full (producer) or empty
//!   (consumer);
//! - batch operations publish once per batch: one release store for any number
//!   of items;
//! - indices run modulo twice the capacity (as in `rtrb`), so "full" and
//!   "empty" stay distinct without a spare slot.
//!
//! [`channel`] splits a ring into a [`Producer`] and a [`Consumer`]. Both are
//! `Send` and neither is `Clone`, so "one producer, one consumer" is a fact the
//! compiler enforces rather than a rule callers must keep.
//!
//! ```
//! use laminar_runtime::spsc;
//!
//! let (mut tx, mut rx) = spsc::channel::<u32>(4);
//! assert_eq!(tx.push_iter(&mut (0..10)), 4); // only four fit
//! assert_eq!(rx.pop(), Some(0));
//! let rest: Vec<u32> = rx.pop_batch(usize::MAX).collect();
//! assert_eq!(rest, [1, 2, 3]);
//! ```

use core::fmt;
use core::marker::PhantomData;
use core::mem::{ManuallyDrop, MaybeUninit};

use crossbeam_utils::CachePadded;

use crate::sync::{Arc, AtomicUsize, Ordering, UnsafeCell};

struct Ring<T> {
    /// Index of the next slot to read; written only by the consumer.
    head: CachePadded<AtomicUsize>,
    /// Index of the next slot to write; written only by the producer.
    tail: CachePadded<AtomicUsize>,
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
    /// `capacity - 1`: maps an index to its slot.
    mask: usize,
    /// `2 * capacity - 1`: indices live in `0..2 * capacity`, so a distance
    /// of `capacity` (full) differs from 0 (empty). For the largest capacity,
    /// 2^(usize::BITS - 1), this is `usize::MAX` and indices simply wrap.
    wrap: usize,
}

// SAFETY: the ring hands each slot to exactly one side at a time (the producer
// owns `[tail, head + cap)`, the consumer `[head, tail)`), and the release/acquire
// pairs on `head` and `tail` order every slot access with the hand-over. Values
// move between threads, so `T: Send` is required and sufficient.
unsafe impl<T: Send> Sync for Ring<T> {}
// SAFETY: as above; the ring owns `T`s, which may be sent.
unsafe impl<T: Send> Send for Ring<T> {}

impl<T> Ring<T> {
    #[inline(always)]
    fn slot(&self, index: usize) -> &UnsafeCell<MaybeUninit<T>> {
        // The mask keeps the index in bounds, but the optimizer cannot see
        // that (`mask` and `slots.len()` are separate runtime values), so the
        // bounds check stays; `get_unchecked` measured no gain, so this
        // stays safe.
        &self.slots[index & self.mask]
    }

    /// `index + n`, modulo `2 * capacity`.
    #[inline(always)]
    fn advance(&self, index: usize, n: usize) -> usize {
        index.wrapping_add(n) & self.wrap
    }

    /// Items from index `from` up to index `to`, modulo `2 * capacity`.
    #[inline(always)]
    fn distance(&self, from: usize, to: usize) -> usize {
        to.wrapping_sub(from) & self.wrap
    }

    fn capacity(&self) -> usize {
        self.mask + 1
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // Both halves are gone, so the shared indices are final.
        let head = self.head.load(Ordering::Acquire);
        let tail = self.tail.load(Ordering::Acquire);
        let mut i = head;
        while i != tail {
            self.slot(i).with_mut(|p| {
                // SAFETY: slots in `[head, tail)` were written by the producer
                // and not yet read by the consumer; each is dropped once here.
                unsafe { (*p).assume_init_drop() }
            });
            i = self.advance(i, 1);
        }
    }
}

/// Creates a ring holding at least `capacity` items (rounded up to a power of
/// two, minimum 1) and returns its two halves.
pub fn channel<T>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    let cap = capacity.max(1).next_power_of_two();
    let slots = (0..cap)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect::<Vec<_>>()
        .into_boxed_slice();
    let ring = Arc::new(Ring {
        head: CachePadded::new(AtomicUsize::new(0)),
        tail: CachePadded::new(AtomicUsize::new(0)),
        slots,
        mask: cap - 1,
        wrap: (cap << 1).wrapping_sub(1),
    });
    (
        Producer {
            ring: ManuallyDrop::new(ring.clone()),
            tail: 0,
            cached_head: 0,
            _not_sync: PhantomData,
        },
        Consumer {
            ring: ManuallyDrop::new(ring),
            head: 0,
            cached_tail: 0,
            _not_sync: PhantomData,
        },
    )
}

/// The writing half of a ring. `Send`, not `Clone`, not `Sync`.
pub struct Producer<T> {
    /// Released in `Drop`, from a local. Dropping an `Arc` field in place
    /// hands the half's own address to `Arc`'s out-of-line drop, and the
    /// optimizer then keeps the private indices in memory, storing them on
    /// every push or pop.
    ring: ManuallyDrop<Arc<Ring<T>>>,
    tail: usize,
    cached_head: usize,
    _not_sync: PhantomData<core::cell::Cell<()>>,
}

/// The reading half of a ring. `Send`, not `Clone`, not `Sync`.
pub struct Consumer<T> {
    /// Released in `Drop`, from a local (see `Producer::ring`).
    ring: ManuallyDrop<Arc<Ring<T>>>,
    head: usize,
    cached_tail: usize,
    _not_sync: PhantomData<core::cell::Cell<()>>,
}

// SAFETY: a half may move to another thread; it is the only handle on its side
// of the ring, and the ring itself is `Send + Sync` for `T: Send`.
unsafe impl<T: Send> Send for Producer<T> {}
// SAFETY: as for `Producer`.
unsafe impl<T: Send> Send for Consumer<T> {}

impl<T> Producer<T> {
    /// How many items the ring holds at most.
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// Free slots, reloading the consumer's index only if the cached one
    /// shows fewer than `want`.
    #[inline(always)]
    fn free(&mut self, want: usize) -> usize {
        let cap = self.ring.capacity();
        let free = cap - self.ring.distance(self.cached_head, self.tail);
        if free >= want {
            return free;
        }
        self.cached_head = self.ring.head.load(Ordering::Acquire);
        cap - self.ring.distance(self.cached_head, self.tail)
    }

    #[inline(always)]
    fn write(&mut self, index: usize, value: T) {
        self.ring.slot(index).with_mut(|p| {
            // SAFETY: `index` is in `[tail, head + cap)`, a range only the
            // producer touches; the slot is empty (never written, or read and
            // released by the consumer, which the acquire load of `head` orders).
            unsafe { (*p).write(value) };
        });
    }

    /// Pushes one item, or hands it back if the ring is full.
    #[inline]
    pub fn push(&mut self, value: T) -> Result<(), Full<T>> {
        if self.free(1) == 0 {
            return Err(Full(value));
        }
        self.write(self.tail, value);
        self.tail = self.ring.advance(self.tail, 1);
        self.ring.tail.store(self.tail, Ordering::Release);
        Ok(())
    }

    /// Pushes items from `iter` until it ends or the ring is full, publishing
    /// them with one store. Items that did not fit stay in the iterator.
    /// Returns how many were pushed.
    #[inline]
    pub fn push_iter<I: Iterator<Item = T>>(&mut self, iter: &mut I) -> usize {
        let free = self.free(usize::MAX);
        let start = self.tail;
        let mut n = 0;
        while n < free {
            let Some(value) = iter.next() else { break };
            // `slot` masks, so the raw sum is enough here; only the
            // published index is normalized.
            self.write(start.wrapping_add(n), value);
            n += 1;
        }
        if n > 0 {
            self.tail = self.ring.advance(start, n);
            self.ring.tail.store(self.tail, Ordering::Release);
        }
        n
    }

    /// Pushes clones of the front of `items` until the ring is full, with one
    /// store. Returns how many were pushed.
    #[inline]
    pub fn push_slice(&mut self, items: &[T]) -> usize
    where
        T: Clone,
    {
        self.push_iter(&mut items.iter().cloned())
    }

    /// Free slots as last seen; may under-report, never over-reports.
    pub fn slots(&mut self) -> usize {
        self.free(usize::MAX)
    }

    /// True once the consumer has been dropped.
    pub fn is_abandoned(&self) -> bool {
        Arc::strong_count(&self.ring) == 1
    }
}

impl<T> Consumer<T> {
    /// How many items the ring holds at most.
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    #[inline(always)]
    fn available(&mut self, want: usize) -> usize {
        let ready = self.ring.distance(self.head, self.cached_tail);
        if ready >= want {
            return ready;
        }
        self.cached_tail = self.ring.tail.load(Ordering::Acquire);
        self.ring.distance(self.head, self.cached_tail)
    }

    #[inline(always)]
    fn read(&self, index: usize) -> T {
        self.ring.slot(index).with_mut(|p| {
            // SAFETY: `index` is in `[head, tail)`: the producer wrote it and
            // published it with the release store the acquire load of `tail`
            // saw; the consumer reads each such slot once before releasing it.
            unsafe { (*p).assume_init_read() }
        })
    }

    /// Pops one item, if any.
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        if self.available(1) == 0 {
            return None;
        }
        let value = self.read(self.head);
        self.head = self.ring.advance(self.head, 1);
        self.ring.head.store(self.head, Ordering::Release);
        Some(value)
    }

    /// Takes up to `max` items as an iterator. The slots are released to the
    /// producer with one store when the batch is dropped; items not iterated
    /// stay in the ring.
    #[inline]
    pub fn pop_batch(&mut self, max: usize) -> Batch<'_, T> {
        let len = self.available(max).min(max);
        let start = self.head;
        Batch {
            consumer: self,
            start,
            taken: 0,
            len,
        }
    }

    /// Items ready to pop, as last seen; may under-report.
    pub fn len(&mut self) -> usize {
        self.available(usize::MAX)
    }

    /// True if no item is ready.
    pub fn is_empty(&mut self) -> bool {
        self.available(1) == 0
    }

    /// True once the producer has been dropped.
    pub fn is_abandoned(&self) -> bool {
        Arc::strong_count(&self.ring) == 1
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        // Publishes items a leaked (`mem::forget`) batch took but never
        // released, so the ring's drop does not drop them again.
        self.ring.head.store(self.head, Ordering::Release);
        // SAFETY: `ring` is taken once, here, and `self` is not used again.
        drop(unsafe { ManuallyDrop::take(&mut self.ring) });
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        // SAFETY: `ring` is taken once, here, and `self` is not used again.
        drop(unsafe { ManuallyDrop::take(&mut self.ring) });
    }
}

/// Items popped by [`Consumer::pop_batch`]; releases its slots on drop.
pub struct Batch<'a, T> {
    consumer: &'a mut Consumer<T>,
    /// The consumer's head when the batch was taken.
    start: usize,
    taken: usize,
    len: usize,
}

impl<T> Batch<'_, T> {
    /// Items in this batch, taken or not.
    pub fn capacity(&self) -> usize {
        self.len
    }
}

impl<T> Iterator for Batch<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.taken == self.len {
            return None;
        }
        let c = &mut *self.consumer;
        // `slot` masks, so the raw sum is enough to find the item.
        let value = c.read(self.start.wrapping_add(self.taken));
        // The private head advances per item (the shared one is still
        // published once, when the batch drops). Advancing it only in
        // `drop` was unsound: a batch leaked with
        // `mem::forget` (safe code) left `head` behind the items it had
        // moved out, so the next pop handed them out again and the ring's
        // drop dropped them a second time.
        self.taken += 1;
        c.head = c.ring.advance(self.start, self.taken);
        Some(value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.len - self.taken;
        (n, Some(n))
    }
}

impl<T> ExactSizeIterator for Batch<'_, T> {}

impl<T> Drop for Batch<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if self.taken > 0 {
            // `next` already advanced the private head past the taken items.
            let c = &*self.consumer;
            c.ring.head.store(c.head, Ordering::Release);
        }
    }
}

/// The value a full ring handed back.
#[derive(PartialEq, Eq)]
pub struct Full<T>(pub T);

impl<T> fmt::Debug for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Full(..)")
    }
}

impl<T> fmt::Display for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the ring is full")
    }
}

impl<T> std::error::Error for Full<T> {}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("capacity", &self.capacity())
            .finish()
    }
}

impl<T> fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("capacity", &self.capacity())
            .finish()
    }
}
