//! How a worker waits for work without burning its core, and how a producer
//! wakes it: spin briefly, then park; a producer that pushes checks the
//! `sleeping` flag and unparks. The flag and the queue indices form a Dekker
//! pair, so each side issues a SeqCst fence between its write and its read:
//! either the producer sees the worker asleep, or the worker sees the item.

use std::sync::OnceLock;
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
    thread: OnceLock<Thread>,
}

impl Waker {
    /// Called once by the worker thread it belongs to.
    pub(crate) fn register_current(&self) {
        let _ = self.thread.set(std::thread::current());
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
        if let Some(t) = self.thread.get() {
            t.unpark();
        }
    }

    /// Worker side: announce sleep, then re-check with `has_work`; park only
    /// if there is still nothing to do.
    pub(crate) fn sleep_unless(&self, has_work: impl FnOnce() -> bool) {
        self.sleeping.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if !has_work() {
            std::thread::park_timeout(PARK_TIMEOUT);
        }
        self.sleeping.store(false, Ordering::Relaxed);
    }
}
