//! How a thread waits for work without burning its core, and how the other
//! side wakes it: spin briefly, then park; a producer that publishes checks
//! the `sleeping` flag and unparks. The flag and the queue indices form a
//! Dekker pair, so each side issues a SeqCst fence between its write and its
//! read: either the producer sees the sleeper asleep, or the sleeper sees
//! the item.
//!
//! Workers wait on one for input, and for room in a full outbox; an output
//! handle waits on one for results, from whichever thread owns it now.

use std::sync::Mutex;
use std::thread::Thread;
use std::time::Duration;

use crate::sync::{AtomicBool, Ordering, fence};

/// Spins before a worker parks. Tuned so that a steady stream never parks.
pub(crate) const SPINS_BEFORE_PARK: u32 = 64;

/// Longest park; a safety net, not the wake-up path.
pub(crate) const PARK_TIMEOUT: Duration = Duration::from_millis(5);

#[derive(Debug, Default)]
pub(crate) struct Waker {
    sleeping: AtomicBool,
    /// The thread that sleeps last, registered by itself before it sleeps:
    /// an output handle may move between threads.
    thread: Mutex<Option<Thread>>,
    /// The task that waits last, for an output handle polled as a stream
    /// (`tokio` feature): woken, and taken, by the same wake-ups.
    #[cfg(feature = "tokio")]
    task: Mutex<Option<std::task::Waker>>,
}

impl Waker {
    /// Registers the calling thread as the one to wake. A sleeper calls it
    /// once, and again only when it moves to another thread: it takes the
    /// lock that `wake` takes.
    pub(crate) fn register_current(&self) {
        let mut slot = self.thread.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().map(Thread::id) != Some(std::thread::current().id()) {
            *slot = Some(std::thread::current());
        }
    }

    /// Producer side, after publishing an item.
    #[inline]
    pub(crate) fn notify(&self) {
        fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::Relaxed) {
            self.wake();
        }
    }

    /// Unconditional wake, for control changes (close, failure).
    pub(crate) fn wake(&self) {
        if let Some(t) = self
            .thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            t.unpark();
        }
        #[cfg(feature = "tokio")]
        self.wake_task();
    }

    #[cfg(feature = "tokio")]
    fn wake_task(&self) {
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            task.wake();
        }
    }

    /// Task side, the async twin of [`sleep_unless`](Self::sleep_unless):
    /// registers `waker` to be woken and announces sleep. The caller must
    /// then re-check for work, and call [`awake`](Self::awake) if it finds
    /// some (or whenever it is polled again).
    #[cfg(feature = "tokio")]
    pub(crate) fn sleep_task(&self, waker: &std::task::Waker) {
        let mut slot = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
        drop(slot);
        self.sleeping.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
    }

    /// Task side: no longer asleep.
    #[cfg(feature = "tokio")]
    pub(crate) fn awake(&self) {
        self.sleeping.store(false, Ordering::Relaxed);
    }

    /// Sleeper side, on the registered thread: announce sleep, then
    /// re-check with `has_work`; park for at most `timeout` only if there is
    /// still nothing to do.
    pub(crate) fn sleep_unless(&self, timeout: Duration, has_work: impl FnOnce() -> bool) {
        self.sleeping.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if !has_work() {
            std::thread::park_timeout(timeout);
        }
        self.sleeping.store(false, Ordering::Relaxed);
    }
}
