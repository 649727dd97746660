//! An ingress channel: one input handle's SPSC ring into one core, with its
//! credit line, its open/closed state and its counters.
//!
//! Closing must not lose an event that a handle is pushing at that instant, so
//! the sender holds the channel `BUSY` while it pushes, and the runtime closes
//! a channel only from `OPEN`. Once a worker sees `CLOSED`, every push has
//! landed, and it drains the ring to the end.

use std::time::{Duration, Instant};

use crossbeam_utils::{Backoff, CachePadded};

use crate::config::Policy;
use crate::credit::{Counter, CreditLine};
use crate::message::{Message, Timestamp};
use crate::spsc::{self, Consumer, Producer};
use crate::sync::{Arc, AtomicU8, Ordering};

const OPEN: u8 = 0;
const BUSY: u8 = 1;
const CLOSED: u8 = 2;

/// Credits a sender takes at a time, so that most submits touch no shared
/// credit counter.
const CREDIT_BATCH: usize = 32;

/// The state both ends of a channel see.
#[derive(Debug)]
pub(crate) struct ChannelShared {
    state: CachePadded<AtomicU8>,
    pub(crate) credits: CreditLine,
    pub(crate) submitted: Counter,
    pub(crate) dropped: Counter,
    pub(crate) rejected: Counter,
    pub(crate) blocked: Counter,
    pub(crate) blocked_ns: Counter,
}

impl ChannelShared {
    /// Runtime side: closes the channel once no push is under way.
    pub(crate) fn close(&self) {
        let backoff = Backoff::new();
        loop {
            match self.state.compare_exchange_weak(
                OPEN,
                CLOSED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(CLOSED) => return,
                Err(_) => backoff.snooze(),
            }
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) == CLOSED
    }
}

/// Makes a channel of `capacity` slots whose line holds `exclusive` credits
/// and may borrow the rest of the ring from `pool`.
pub(crate) fn channel<T>(
    capacity: usize,
    exclusive: usize,
    pool: Arc<crate::credit::CreditPool>,
    closed: bool,
) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = spsc::channel(capacity);
    let cap = tx.capacity();
    let exclusive = exclusive.clamp(1, cap);
    let shared = Arc::new(ChannelShared {
        state: CachePadded::new(AtomicU8::new(if closed { CLOSED } else { OPEN })),
        credits: CreditLine::new(pool, exclusive, cap - exclusive),
        submitted: Counter::default(),
        dropped: Counter::default(),
        rejected: Counter::default(),
        blocked: Counter::default(),
        blocked_ns: Counter::default(),
    });
    (
        Sender {
            tx,
            shared: shared.clone(),
            stash: 0,
        },
        Receiver {
            rx,
            shared,
            watermark: 0,
            last_active: std::time::Instant::now(),
            idle: false,
        },
    )
}

/// Outcome of trying to send without a credit.
pub(crate) enum NoCredit<T> {
    /// Policy `Drop`: discarded and counted.
    Dropped,
    /// Policy `Error`: handed back.
    Rejected(T),
    /// The runtime failed while waiting.
    Failed(T),
}

/// The handle's end of a channel.
#[derive(Debug)]
pub(crate) struct Sender<T> {
    tx: Producer<Message<T>>,
    pub(crate) shared: Arc<ChannelShared>,
    /// Credits acquired and not yet spent.
    stash: usize,
}

impl<T> Sender<T> {
    /// Marks the channel busy; false if it is closed.
    #[inline]
    pub(crate) fn lock(&self) -> bool {
        let state = &self.shared.state;
        loop {
            match state.compare_exchange_weak(OPEN, BUSY, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(CLOSED) => return false,
                // Spurious failure of the weak exchange; BUSY is impossible
                // here because only this sender sets it.
                Err(_) => {}
            }
        }
    }

    /// Publishes what was pushed while locked, and releases the channel.
    #[inline]
    pub(crate) fn unlock(&mut self) {
        self.publish();
        self.shared.state.store(OPEN, Ordering::Release);
    }

    /// Makes the messages pushed so far visible to the core.
    #[inline]
    pub(crate) fn publish(&mut self) {
        self.tx.publish();
    }

    /// Sends while locked. `failed` says whether a blocked sender should
    /// give up; `wake` wakes the core, which a sender about to wait for
    /// credit must do: the messages it has pushed in this batch may not have
    /// been announced yet, and the core frees credit only by consuming them.
    #[inline]
    pub(crate) fn send_locked(
        &mut self,
        msg: Message<T>,
        policy: Policy,
        failed: &impl Fn() -> bool,
        wake: &impl Fn(),
    ) -> Result<(), NoCredit<Message<T>>> {
        if self.stash == 0 {
            // Messages are pushed unpublished, one shared store per credit
            // batch rather than per message. The core frees credit only by
            // consuming published messages, so publish before asking for
            // more: a sender short of credit never holds back what would
            // free it.
            self.publish();
            self.stash = self.shared.credits.try_acquire(CREDIT_BATCH);
            if self.stash == 0 {
                match policy {
                    Policy::Block => {
                        wake();
                        if self.wait_for_credit(failed).is_err() {
                            return Err(NoCredit::Failed(msg));
                        }
                    }
                    Policy::Drop => {
                        self.shared.dropped.add(1);
                        return Err(NoCredit::Dropped);
                    }
                    Policy::Error => {
                        self.shared.rejected.add(1);
                        return Err(NoCredit::Rejected(msg));
                    }
                }
            }
        }
        self.stash -= 1;
        // Credits never exceed the ring's slots, so a credit means a free slot.
        let is_event = matches!(msg, Message::Event(_));
        if self.tx.push_unpublished(msg).is_err() {
            unreachable!("a credit was held for a full ring");
        }
        if is_event {
            self.shared.submitted.add(1);
        }
        Ok(())
    }

    #[cold]
    fn wait_for_credit(&mut self, failed: &impl Fn() -> bool) -> Result<(), ()> {
        let start = Instant::now();
        self.shared.blocked.add(1);
        let backoff = Backoff::new();
        let line = &self.shared.credits;
        let result = loop {
            if failed() {
                break Err(());
            }
            if backoff.is_completed() {
                line.prepare_wait();
                self.stash = line.try_acquire(CREDIT_BATCH);
                if self.stash == 0 {
                    std::thread::park_timeout(Duration::from_millis(1));
                }
                line.end_wait();
            } else {
                backoff.snooze();
                self.stash = line.try_acquire(CREDIT_BATCH);
            }
            if self.stash > 0 {
                break Ok(());
            }
        };
        self.shared
            .blocked_ns
            .add(start.elapsed().as_nanos().min(u64::MAX as u128) as u64);
        result
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // Published before the close: a worker that sees `CLOSED` drains
        // the ring to the shared tail and retires the channel.
        self.publish();
        // Unused credits stay counted on the line; the worker repays the
        // line's loans when it retires the closed channel.
        self.shared.close();
    }
}

/// The worker's end of a channel.
#[derive(Debug)]
pub(crate) struct Receiver<T> {
    pub(crate) rx: Consumer<Message<T>>,
    pub(crate) shared: Arc<ChannelShared>,
    /// The highest watermark this channel has carried.
    pub(crate) watermark: Timestamp,
    /// When it last carried anything (kept only with an idle timeout).
    pub(crate) last_active: std::time::Instant,
    /// Silent past the idle timeout: not counted in the core's watermark.
    pub(crate) idle: bool,
}

impl<T> Receiver<T> {
    /// True once the sender is done and every item has been taken. Reads the
    /// state before the ring: a `CLOSED` seen here orders every push before it.
    pub(crate) fn is_finished(&mut self) -> bool {
        self.shared.is_closed() && self.rx.is_empty()
    }

    /// Called when the channel is finished: loans go back to the pool.
    pub(crate) fn retire(&self) {
        let line = &self.shared.credits;
        let owed = line.borrowed();
        line.release(owed);
    }
}

/// Totals over channels, for the report.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IngressTotals {
    pub(crate) submitted: u64,
    pub(crate) dropped: u64,
    pub(crate) rejected: u64,
    pub(crate) blocked: u64,
    pub(crate) blocked_ns: u64,
    pub(crate) credits_acquired: u64,
    pub(crate) credits_released: u64,
}

impl IngressTotals {
    pub(crate) fn add(&mut self, c: &ChannelShared) {
        self.submitted += c.submitted.get();
        self.dropped += c.dropped.get();
        self.rejected += c.rejected.get();
        self.blocked += c.blocked.get();
        self.blocked_ns += c.blocked_ns.get();
        self.credits_acquired += c.credits.acquired.get();
        self.credits_released += c.credits.released.get();
    }
}
