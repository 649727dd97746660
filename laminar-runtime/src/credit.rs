//! Credit-based flow control between senders and a core.
//!
//! Every event in flight towards a core holds one credit. Each sender's line
//! has *exclusive* credits that no other sender can take, so a slow or bursty
//! neighbour never starves it; a core-wide *floating pool* lends extra credits
//! to whichever line has a backlog. The pool lends with hysteresis: it closes
//! when it falls below its low watermark and reopens only when releases lift
//! it to its high watermark, so a sender at the edge does not flip between
//! borrowing and waiting on every event.
//!
//! Invariant per line, checked by the loom model: free exclusive credits plus
//! credits in flight (or held by the sender) equal the exclusive quota plus
//! what the line has borrowed. Across the core, credits are never created or
//! lost.
//!
//! ```
//! use laminar_runtime::credit::{CreditLine, CreditPool};
//!
//! let pool = CreditPool::new(4, 2, 3);
//! let line = CreditLine::new(pool.clone(), 2, 4);
//! assert_eq!(line.try_acquire(5), 5); // 2 exclusive + 3 borrowed
//! assert_eq!(pool.available(), 1);
//! assert!(!pool.is_open()); // fell below the low watermark
//! line.release(5);          // borrowed credits go back to the pool first
//! assert_eq!(pool.available(), 4);
//! assert!(pool.is_open());
//! ```

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::thread::Thread;

use crossbeam_utils::CachePadded;

use crate::sync::{Arc, AtomicBool, AtomicUsize, Ordering};

/// Credits a core lends to any of its lines, with hysteresis.
#[derive(Debug)]
pub struct CreditPool {
    available: CachePadded<AtomicUsize>,
    open: AtomicBool,
    low: usize,
    high: usize,
}

impl CreditPool {
    /// A pool of `capacity` credits that stops lending below `low` and
    /// resumes at `high` (both clamped to `capacity`, and `low <= high`).
    pub fn new(capacity: usize, low: usize, high: usize) -> Arc<Self> {
        let high = high.min(capacity);
        let low = low.min(high);
        Arc::new(CreditPool {
            available: CachePadded::new(AtomicUsize::new(capacity)),
            open: AtomicBool::new(true),
            low,
            high,
        })
    }

    /// Credits in the pool now.
    pub fn available(&self) -> usize {
        self.available.load(Ordering::Acquire)
    }

    /// Whether the pool lends now.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    fn give_back(&self, n: usize) {
        let now = self.available.fetch_add(n, Ordering::AcqRel) + n;
        if now >= self.high {
            self.open.store(true, Ordering::Release);
        }
    }
}

/// Takes up to `want` from `counter` without going below zero; returns how many.
fn take(counter: &AtomicUsize, want: usize) -> usize {
    let mut cur = counter.load(Ordering::Acquire);
    loop {
        let k = cur.min(want);
        if k == 0 {
            return 0;
        }
        match counter.compare_exchange_weak(cur, cur - k, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return k,
            Err(seen) => cur = seen,
        }
    }
}

/// A counter with one writer: the add is a plain load and store, which costs
/// no locked instruction; readers on other threads see a recent value.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    #[inline(always)]
    pub(crate) fn add(&self, n: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.0.store(self.0.load(Relaxed) + n, Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// One sender's credits towards one core: acquired by the sender, released
/// by the core as it consumes.
#[derive(Debug)]
pub struct CreditLine {
    pool: Arc<CreditPool>,
    exclusive_free: CachePadded<AtomicUsize>,
    borrowed: AtomicUsize,
    max_borrow: usize,
    waiting: AtomicBool,
    waiter: Mutex<Option<Thread>>,
    /// A task waiting for credit (`Input::submit_async`), woken like the
    /// thread.
    #[cfg(feature = "tokio")]
    task: Mutex<Option<std::task::Waker>>,
    pub(crate) acquired: Counter,
    pub(crate) released: Counter,
}

impl CreditLine {
    /// A line with `exclusive` credits of its own that may borrow up to
    /// `max_borrow` more from `pool`.
    pub fn new(pool: Arc<CreditPool>, exclusive: usize, max_borrow: usize) -> Self {
        CreditLine {
            pool,
            exclusive_free: CachePadded::new(AtomicUsize::new(exclusive)),
            borrowed: AtomicUsize::new(0),
            max_borrow,
            waiting: AtomicBool::new(false),
            waiter: Mutex::new(None),
            #[cfg(feature = "tokio")]
            task: Mutex::new(None),
            acquired: Counter::default(),
            released: Counter::default(),
        }
    }

    /// Sender side: takes up to `want` credits, exclusive ones first, then
    /// borrowed ones while the pool is open. Returns how many it got.
    pub fn try_acquire(&self, want: usize) -> usize {
        let mut got = take(&self.exclusive_free, want);
        if got < want && self.pool.open.load(Ordering::Acquire) {
            // Only this sender raises `borrowed`, so the room it sees can only grow.
            let room = self
                .max_borrow
                .saturating_sub(self.borrowed.load(Ordering::Acquire));
            let lent = take(&self.pool.available, (want - got).min(room));
            if lent > 0 {
                // Recorded before the events are pushed, so the core that
                // releases them sees the loan and repays the pool first.
                self.borrowed.fetch_add(lent, Ordering::AcqRel);
                if self.pool.available.load(Ordering::Acquire) < self.pool.low {
                    self.pool.open.store(false, Ordering::Release);
                }
                got += lent;
            }
        }
        self.acquired.add(got as u64);
        got
    }

    /// Core side: returns `n` credits for events consumed. Loans are repaid to
    /// the pool first; a sender parked on this line is woken.
    pub fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let owed = self.borrowed.load(Ordering::Acquire).min(n);
        if owed > 0 {
            self.borrowed.fetch_sub(owed, Ordering::AcqRel);
            self.pool.give_back(owed);
        }
        if n > owed {
            self.exclusive_free.fetch_add(n - owed, Ordering::SeqCst);
        }
        self.released.add(n as u64);
        // Pairs with the SeqCst store in `prepare_wait`: either the sender's
        // re-check sees the credits, or this load sees it waiting.
        if self.waiting.load(Ordering::SeqCst) && self.waiting.swap(false, Ordering::SeqCst) {
            self.wake_waiter();
        }
    }

    /// Wakes the sender parked on this line, thread or task.
    fn wake_waiter(&self) {
        if let Ok(slot) = self.waiter.lock()
            && let Some(t) = slot.as_ref()
        {
            t.unpark();
        }
        #[cfg(feature = "tokio")]
        if let Some(task) = self.task.lock().ok().and_then(|mut slot| slot.take()) {
            task.wake();
        }
    }

    /// Task side, the async twin of [`prepare_wait`](Self::prepare_wait):
    /// registers `waker` to be woken by the next release. The caller must
    /// re-check credits before it returns `Pending`.
    #[cfg(feature = "tokio")]
    pub(crate) fn prepare_wait_task(&self, waker: &std::task::Waker) {
        if let Ok(mut slot) = self.task.lock()
            && !slot.as_ref().is_some_and(|w| w.will_wake(waker))
        {
            *slot = Some(waker.clone());
        }
        self.waiting.store(true, Ordering::SeqCst);
    }

    /// Sender side, before parking: registers the current thread to be woken
    /// by the next release. The caller must re-check credits before it parks.
    pub fn prepare_wait(&self) {
        if let Ok(mut slot) = self.waiter.lock()
            && slot.as_ref().map(Thread::id) != Some(std::thread::current().id())
        {
            *slot = Some(std::thread::current());
        }
        self.waiting.store(true, Ordering::SeqCst);
    }

    /// Sender side, after waking: no longer waiting.
    pub fn end_wait(&self) {
        self.waiting.store(false, Ordering::Relaxed);
    }

    /// Credits this line has borrowed and not yet repaid.
    pub fn borrowed(&self) -> usize {
        self.borrowed.load(Ordering::Acquire)
    }

    /// Exclusive credits free now.
    pub fn exclusive_free(&self) -> usize {
        self.exclusive_free.load(Ordering::Acquire)
    }

    /// The pool this line borrows from.
    pub fn pool(&self) -> &Arc<CreditPool> {
        &self.pool
    }
}
