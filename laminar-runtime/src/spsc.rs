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
//!   of items; a producer of single items can do the same with
//!   [`Producer::push_unpublished`] and [`Producer::publish`] (the runtime's
//!   channels and outboxes do);
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
    /// Position of the next slot to read; written only by the consumer.
    head: CachePadded<AtomicUsize>,
    /// Position of the next slot to write; written only by the producer.
    tail: CachePadded<AtomicUsize>,
    /// The slots: a leaked `Box<[_]>` of `cap` cells, freed in `Drop`. A raw
    /// pointer rather than the box itself, because the hot paths index it
    /// without a bounds check (see `slot`), and a pointer taken from a box
    /// that then moves would not be valid to use.
    slots: *mut UnsafeCell<MaybeUninit<T>>,
    cap: usize,
}

// Positions run over `0..2 * cap` (as in `rtrb`), so a full ring (distance
// `cap`) and an empty one (distance 0) differ without a spare slot. The
// arithmetic is compare-and-subtract, not masking: in the two-thread bench,
// masking (`& (2 * cap - 1)`) measured 10–20 % slower per item, in this ring
// and in a copy of `rtrb` alike (docs/benchmarks-journal.md, "SPSC ring,
// round 3").

// SAFETY: the ring hands each slot to exactly one side at a time (the producer
// owns `[tail, head + cap)`, the consumer `[head, tail)`), and the release/acquire
// pairs on `head` and `tail` order every slot access with the hand-over. Values
// move between threads, so `T: Send` is required and sufficient.
unsafe impl<T: Send> Sync for Ring<T> {}
// SAFETY: as above; the ring owns `T`s, which may be sent.
unsafe impl<T: Send> Send for Ring<T> {}

impl<T> Ring<T> {
    /// The slot at position `pos` (in `0..2 * cap`).
    #[inline(always)]
    fn slot(&self, pos: usize) -> &UnsafeCell<MaybeUninit<T>> {
        debug_assert!(pos < 2 * self.cap);
        self.slot_at(self.index(pos))
    }

    /// Where position `pos` (in `0..2 * cap`) sits in the slots.
    #[inline(always)]
    fn index(&self, pos: usize) -> usize {
        if pos < self.cap { pos } else { pos - self.cap }
    }

    /// The slot at index `i`, which must be below `cap`.
    #[inline(always)]
    fn slot_at(&self, i: usize) -> &UnsafeCell<MaybeUninit<T>> {
        debug_assert!(i < self.cap, "slot index {i} out of 0..{}", self.cap);
        // SAFETY: `i < cap` (callers keep it so; debug builds check), so the
        // offset stays inside the slots allocation of `cap` cells.
        let slot = unsafe { self.slots.add(i) };
        // SAFETY: `slot` points at a cell of that allocation, aligned and
        // initialized in `channel` (an `UnsafeCell<MaybeUninit<_>>` is valid
        // whatever it holds); the allocation lives as long as the ring, and
        // every access to the value inside goes through the cell.
        unsafe { &*slot }
    }

    /// Position `pos + 1`, modulo `2 * cap`: `advance(pos, 1)` for the
    /// single-item paths, in the form that compiles to the fewest
    /// instructions (a compare and a select against zero; the general form
    /// costs three more per call, 6 % of a push and a pop under callgrind).
    #[inline(always)]
    fn next(&self, pos: usize) -> usize {
        if pos < 2 * self.cap - 1 { pos + 1 } else { 0 }
    }

    /// Position `pos + n`, modulo `2 * cap` (`n <= cap`).
    #[inline(always)]
    fn advance(&self, pos: usize, n: usize) -> usize {
        debug_assert!(pos < 2 * self.cap && n <= self.cap);
        // `pos + n - 2 * cap` rather than the equal `pos - (2 * cap - n)`:
        // the latter compiles to a select feeding an add, one step more on
        // the dependency chain, and made single pushes and pops 25 % slower
        // when they still went through here (before `next`).
        let two_cap = 2 * self.cap;
        if pos < two_cap - n {
            pos + n
        } else {
            pos + n - two_cap
        }
    }

    /// Items from position `from` up to position `to`.
    #[inline(always)]
    fn distance(&self, from: usize, to: usize) -> usize {
        if from <= to {
            to - from
        } else {
            2 * self.cap - from + to
        }
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // Both halves are gone, so the shared positions are final.
        let head = self.head.load(Ordering::Acquire);
        let tail = self.tail.load(Ordering::Acquire);
        let mut i = head;
        while i != tail {
            self.slot(i).with_mut(|p| {
                // SAFETY: `p` is the cell's own pointer, valid while the
                // closure runs, and nothing else holds the ring: both halves
                // are gone, so this is the only reference to the slot.
                let slot = unsafe { &mut *p };
                // SAFETY: slots in `[head, tail)` were written by the producer
                // and not yet read by the consumer; each is dropped once here.
                unsafe { slot.assume_init_drop() }
            });
            i = self.next(i);
        }
        let slots = core::ptr::slice_from_raw_parts_mut(self.slots, self.cap);
        // SAFETY: `slots` came from `Box::into_raw` of a `cap`-long boxed
        // slice in `channel` and is freed once, here; the cells hold
        // `MaybeUninit`, so freeing drops no item.
        drop(unsafe { Box::from_raw(slots) });
    }
}

/// Creates a ring holding at least `capacity` items (rounded up to a power of
/// two, minimum 1) and returns its two halves.
///
/// # Panics
///
/// If `capacity` rounded up to a power of two exceeds `usize::MAX / 2`, as
/// `Vec::with_capacity` panics on a capacity that cannot be allocated. The
/// runtime's builder never gets here: it rejects rings above
/// [`MAX_RING_CAPACITY`](crate::MAX_RING_CAPACITY) with a typed error.
pub fn channel<T>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    let cap = capacity
        .max(1)
        .checked_next_power_of_two()
        .filter(|&cap| cap <= usize::MAX / 2)
        .unwrap_or_else(|| panic!("ring capacity {capacity} is too large"));
    let slots: Box<[UnsafeCell<MaybeUninit<T>>]> = (0..cap)
        .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
        .collect();
    let slots = Box::into_raw(slots).cast::<UnsafeCell<MaybeUninit<T>>>();
    let ring = Arc::new(Ring {
        head: CachePadded::new(AtomicUsize::new(0)),
        tail: CachePadded::new(AtomicUsize::new(0)),
        slots,
        cap,
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
        self.ring.cap
    }

    /// Free slots, reloading the consumer's index only if the cached one
    /// shows fewer than `want`.
    #[inline(always)]
    fn free(&mut self, want: usize) -> usize {
        let cap = self.ring.cap;
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
        self.push_unpublished(value)?;
        // Always something new here, so no test (see `publish`).
        self.store_tail();
        Ok(())
    }

    /// Pushes one item without publishing it, or hands it back if the ring
    /// is full. The consumer sees the item only after [`publish`](Self::publish)
    /// (or a [`push`](Self::push) or [`push_iter`](Self::push_iter), which
    /// publish everything pushed before them): a sender of many items, one at
    /// a time, then pays for one store to the shared index per batch rather
    /// than one per item. Dropping the producer publishes what it pushed, so
    /// no item is lost for want of a `publish`.
    ///
    /// ```
    /// use laminar_runtime::spsc;
    ///
    /// let (mut tx, mut rx) = spsc::channel::<u32>(4);
    /// tx.push_unpublished(1).unwrap();
    /// tx.push_unpublished(2).unwrap();
    /// assert_eq!(rx.pop(), None);
    /// tx.publish();
    /// assert_eq!(rx.pop(), Some(1));
    /// assert_eq!(rx.pop(), Some(2));
    /// ```
    #[inline]
    pub fn push_unpublished(&mut self, value: T) -> Result<(), Full<T>> {
        // Written out rather than `free(1) == 0`: comparing the distance
        // with `cap` is the shortest test, and this is the hottest path.
        let cap = self.ring.cap;
        if self.ring.distance(self.cached_head, self.tail) == cap {
            self.cached_head = self.ring.head.load(Ordering::Acquire);
            if self.ring.distance(self.cached_head, self.tail) == cap {
                return Err(Full(value));
            }
        }
        self.write(self.tail, value);
        self.tail = self.ring.next(self.tail);
        Ok(())
    }

    /// Makes every item pushed so far visible to the consumer, with one
    /// release store, or none if nothing was pushed since the last publish.
    /// Returns whether it published anything, so that a caller wakes a
    /// sleeping consumer only when there is something to see.
    #[inline]
    pub fn publish(&mut self) -> bool {
        // Only this half stores `tail`, so a relaxed load returns its own
        // last store, from a line it holds: a publish with nothing new then
        // stores nothing to the line the consumer polls, and the pushes need
        // no bookkeeping of what was published.
        if self.ring.tail.load(Ordering::Relaxed) != self.tail {
            self.store_tail();
            true
        } else {
            false
        }
    }

    #[inline(always)]
    fn store_tail(&mut self) {
        self.ring.tail.store(self.tail, Ordering::Release);
    }

    /// Pushes items from `iter` until it ends or the ring is full, publishing
    /// them with one store. Items that did not fit stay in the iterator.
    /// Returns how many were pushed.
    #[inline]
    pub fn push_iter<I: Iterator<Item = T>>(&mut self, iter: &mut I) -> usize {
        let free = self.free(usize::MAX);
        let start = self.tail;
        let first = self.ring.index(start);
        // The free slots are one run from `first` to the end of the slots
        // and, past the end, a second run from index 0: two plain loops
        // rather than a wrap test per item.
        let to_end = free.min(self.ring.cap - first);
        let mut n = 0;
        // The slots' address in a local: read through `self.ring` inside the
        // loop, it is reloaded after every slot write (the compiler cannot
        // prove the write does not alias it), two instructions of the ~12
        // a pushed item costs.
        let slots = self.ring.slots;
        'fill: for run in [first..first + to_end, 0..free - to_end] {
            for i in run {
                let Some(value) = iter.next() else {
                    break 'fill;
                };
                debug_assert!(i < self.ring.cap);
                // SAFETY: the two runs are the `free` slots from `tail` on:
                // indices below `cap`, inside the slots allocation.
                let slot = unsafe { slots.add(i) };
                // SAFETY: `slot` points at a live, initialized cell of the
                // ring (see `Ring::slot_at`), which outlives this call.
                let cell = unsafe { &*slot };
                cell.with_mut(|p| {
                    // SAFETY: the slot is in `[tail, head + cap)`, owned by
                    // the producer and empty (see `write`).
                    unsafe { (*p).write(value) };
                });
                n += 1;
            }
        }
        if n > 0 {
            self.tail = self.ring.advance(start, n);
            self.store_tail();
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
        self.ring.cap
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
            // SAFETY: `p` is the cell's own pointer, valid while the closure
            // runs; the slot is in `[head, tail)`, which only the consumer
            // touches, so no write to it can overlap this reference.
            let slot = unsafe { &*p };
            // SAFETY: `index` is in `[head, tail)`: the producer wrote it and
            // published it with the release store the acquire load of `tail`
            // saw; the consumer reads each such slot once before releasing it.
            unsafe { slot.assume_init_read() }
        })
    }

    /// Pops one item, if any.
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        // Equal positions are the one empty case (see `Producer::push`).
        if self.head == self.cached_tail {
            self.cached_tail = self.ring.tail.load(Ordering::Acquire);
            if self.head == self.cached_tail {
                return None;
            }
        }
        let value = self.read(self.head);
        self.head = self.ring.next(self.head);
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
            next: self.ring.index(start),
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
        // Items pushed unpublished reach the consumer (or, if it is gone,
        // the ring's drop, which drops what lies before the shared tail).
        self.publish();
        // SAFETY: `ring` is taken once, here, and `self` is not used again.
        drop(unsafe { ManuallyDrop::take(&mut self.ring) });
    }
}

/// Items popped by [`Consumer::pop_batch`]; releases its slots on drop.
pub struct Batch<'a, T> {
    consumer: &'a mut Consumer<T>,
    /// The consumer's head when the batch was taken.
    start: usize,
    /// Index in the slots of the next item.
    next: usize,
    taken: usize,
    len: usize,
}

// No bound on `T`: the items stay in the ring until taken, so the batch
// shows its counts only.
impl<T> fmt::Debug for Batch<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("len", &self.len)
            .field("taken", &self.taken)
            .finish_non_exhaustive()
    }
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
        let ring = &self.consumer.ring;
        let value = ring.slot_at(self.next).with_mut(|p| {
            // SAFETY: `p` is the cell's own pointer, valid while the closure
            // runs; the slot belongs to the consumer (see `Consumer::read`),
            // so no write to it can overlap this reference.
            let slot = unsafe { &*p };
            // SAFETY: `taken < len`, so the slot is in `[head, tail)` as seen
            // when the batch was taken: written and published by the
            // producer (see `Consumer::read`), and read once, here.
            unsafe { slot.assume_init_read() }
        });
        self.next += 1;
        if self.next == ring.cap {
            self.next = 0;
        }
        self.taken += 1;
        // The private head follows each item (the shared one is published
        // once, when the batch drops). A batch leaked with `mem::forget`
        // (safe code) then leaves its untaken items in the ring, and never
        // leaves `head` behind items it moved out, which would hand them out
        // again and drop them twice.
        self.consumer.head = ring.advance(self.start, self.taken);
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
        // `next` already moved the private head past the taken items.
        if self.taken > 0 {
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
