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

/// Events in one `Message::Batch`: enough that the per-message costs (a
/// credit acquisition, a ring slot, a publish, a wake-up check) vanish per
/// event, small enough that a batch stays in the core's cache.
pub(crate) const BATCH: usize = 256;

/// The most batch vectors one channel owns; its ring back to the sender
/// holds them all, so a vector coming back never finds it full.
const SPARE_BATCHES: usize = 64;

/// The state both ends of a channel see.
#[derive(Debug)]
pub(crate) struct ChannelShared {
    state: CachePadded<AtomicU8>,
    pub(crate) credits: CreditLine,
    pub(crate) submitted: Counter,
    pub(crate) dropped: Counter,
    pub(crate) rejected: Counter,
    pub(crate) refused: Counter,
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
    let (spare_tx, spare_rx) = spsc::channel(SPARE_BATCHES);
    let lane = Arc::new(Lane::default());
    let cap = tx.capacity();
    let exclusive = exclusive.clamp(1, cap);
    let shared = Arc::new(ChannelShared {
        state: CachePadded::new(AtomicU8::new(if closed { CLOSED } else { OPEN })),
        credits: CreditLine::new(pool, exclusive, cap - exclusive),
        submitted: Counter::default(),
        dropped: Counter::default(),
        rejected: Counter::default(),
        refused: Counter::default(),
        blocked: Counter::default(),
        blocked_ns: Counter::default(),
    });
    (
        Sender {
            tx,
            shared: shared.clone(),
            stash: 0,
            spare: spare_rx,
            // A batch never needs more credits than the line's own: those
            // always come back to it as the core consumes, so a sender
            // holding part of a batch's credits never waits on credits that
            // another line holds.
            batch_max: exclusive.min(BATCH),
            stock: Vec::new(),
            warmed: false,
            lane: lane.clone(),
        },
        Receiver {
            rx,
            spare: spare_tx,
            lane,
            stolen: Vec::new(),
            shared,
            watermark: 0,
            last_active: std::time::Instant::now(),
            idle: false,
            exchange: false,
            barrier: 0,
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
    /// Emptied batch vectors the core sent back.
    spare: Consumer<Vec<T>>,
    /// Most events in one batch on this channel.
    pub(crate) batch_max: usize,
    /// This channel's batch vectors not yet in circulation.
    stock: Vec<Vec<T>>,
    warmed: bool,
    /// Single submits wait here until the core takes them or they fill a
    /// batch.
    pub(crate) lane: Arc<Lane<T>>,
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

    /// Sends while locked if a credit is at hand, else hands `msg` back at
    /// once, counting nothing: the non-blocking half of
    /// [`send_locked`](Self::send_locked), for `Input::submit_async`, which
    /// then waits with [`poll_credit`](Self::poll_credit) and applies the
    /// policy itself.
    #[cfg(feature = "tokio")]
    pub(crate) fn try_send_locked(&mut self, msg: Message<T>) -> Result<(), Message<T>> {
        if self.stash == 0 {
            // As in `send_locked`: publish before asking for credit.
            self.publish();
            self.stash = self.shared.credits.try_acquire(CREDIT_BATCH);
            if self.stash == 0 {
                return Err(msg);
            }
        }
        self.stash -= 1;
        let is_event = matches!(msg, Message::Event(_));
        if self.tx.push_unpublished(msg).is_err() {
            unreachable!("a credit was held for a full ring");
        }
        if is_event {
            self.shared.submitted.add(1);
        }
        Ok(())
    }

    /// `Ready` once the sender holds a credit (taken into its stash), else
    /// registers `cx`'s waker to be woken when the core releases some. The
    /// channel need not be locked: the stash is the sender's own.
    #[cfg(feature = "tokio")]
    pub(crate) fn poll_credit(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        use std::task::Poll;
        let line = &self.shared.credits;
        if self.stash == 0 {
            self.stash = line.try_acquire(CREDIT_BATCH);
        }
        if self.stash > 0 {
            return Poll::Ready(());
        }
        line.prepare_wait_task(cx.waker());
        // A release between the first look and the registration is seen
        // here; one after it wakes the task.
        self.stash = line.try_acquire(CREDIT_BATCH);
        if self.stash > 0 {
            line.end_wait();
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// An empty vector for the next batch. A channel owns a fixed set of
    /// them, made by its first batch: as many as full batches can be in
    /// flight, and a few for partial ones. They circulate: the core sends
    /// each back once it has consumed its events. When none is back yet,
    /// the sender waits for one as it waits for credit, so steady state
    /// allocates nothing whatever the timing. Gives an unallocated vector if
    /// the runtime failed or is closing (the send then gives up).
    #[inline]
    pub(crate) fn batch_vec(&mut self, failed: &impl Fn() -> bool, wake: &impl Fn()) -> Vec<T> {
        match self.spare.pop().or_else(|| self.stock.pop()) {
            Some(v) => v,
            None => self.wait_for_vec(failed, wake),
        }
    }

    /// Makes the channel's set of batch vectors, once: as many as full
    /// batches can be in flight, and a few for partial ones. Returns one of
    /// them, or `None` if the set was made before.
    #[cold]
    fn warm(&mut self) -> Option<Vec<T>> {
        if self.warmed {
            return None;
        }
        self.warmed = true;
        let set = (self.tx.capacity() / self.batch_max + 4).min(SPARE_BATCHES);
        self.stock = (1..set)
            .map(|_| Vec::with_capacity(self.batch_max))
            .collect();
        Some(Vec::with_capacity(self.batch_max))
    }

    #[cold]
    fn wait_for_vec(&mut self, failed: &impl Fn() -> bool, wake: &impl Fn()) -> Vec<T> {
        if let Some(v) = self.warm() {
            return v;
        }
        // The core sends vectors back only after consuming published
        // batches.
        self.publish();
        wake();
        let backoff = Backoff::new();
        loop {
            if let Some(v) = self.spare.pop() {
                return v;
            }
            if failed() {
                return Vec::new();
            }
            if backoff.is_completed() {
                std::thread::park_timeout(Duration::from_micros(100));
            } else {
                backoff.snooze();
            }
        }
    }

    /// Sends `events` (at most [`batch_max`](Self::batch_max)) as one
    /// message while locked, waiting for one credit per event (the `Block`
    /// policy: batches are its path only). Hands the events back if the
    /// runtime failed or began closing while it waited.
    pub(crate) fn send_batch_locked(
        &mut self,
        events: Vec<T>,
        failed: &impl Fn() -> bool,
        wake: &impl Fn(),
    ) -> Result<(), Vec<T>> {
        self.push_batch(events, failed, wake, true)
    }

    fn push_batch(
        &mut self,
        events: Vec<T>,
        failed: &impl Fn() -> bool,
        wake: &impl Fn(),
        count: bool,
    ) -> Result<(), Vec<T>> {
        let n = events.len();
        if n == 0 {
            return Ok(());
        }
        while self.stash < n {
            // As in `send_locked`: publish before asking for credit.
            self.publish();
            let got = self.shared.credits.try_acquire(n - self.stash);
            if got > 0 {
                self.stash += got;
                continue;
            }
            wake();
            let held = self.stash;
            if self.wait_for_credit(failed).is_err() {
                self.stash += held;
                return Err(events);
            }
            self.stash += held;
        }
        self.stash -= n;
        if self.tx.push_unpublished(Message::Batch(events)).is_err() {
            // A batch holds at least one credit, and credits never exceed
            // the ring's slots.
            unreachable!("a credit was held for a full ring");
        }
        if count {
            self.shared.submitted.add(n as u64);
        }
        Ok(())
    }

    /// For a sender that must never wait (a core sending to another core):
    /// takes credits, without waiting, until it holds `n`; true if it does.
    /// Credits taken stay held for the next try.
    #[inline]
    pub(crate) fn try_reserve(&mut self, n: usize) -> bool {
        if self.stash < n {
            // As in `send_locked`: publish before asking for credit.
            self.publish();
            self.stash += self.shared.credits.try_acquire(n - self.stash);
        }
        self.stash >= n
    }

    /// An empty batch vector without waiting, or `None` if none is back
    /// from the receiver yet.
    #[inline]
    pub(crate) fn try_batch_vec(&mut self) -> Option<Vec<T>> {
        match self.spare.pop().or_else(|| self.stock.pop()) {
            Some(v) => Some(v),
            None => self.warm(),
        }
    }

    /// Pushes `msg` (a batch of `events` events, or a control message with
    /// `events == 0`) unpublished, spending credits that
    /// [`try_reserve`](Self::try_reserve) secured: one per event, one for a
    /// control message.
    #[inline]
    pub(crate) fn push_reserved(&mut self, msg: Message<T>, events: usize) {
        self.stash -= events.max(1);
        if self.tx.push_unpublished(msg).is_err() {
            // Credits never exceed the ring's slots.
            unreachable!("a credit was held for a full ring");
        }
        self.shared.submitted.add(events as u64);
    }

    /// Sends `events` like [`send_batch_locked`](Self::send_batch_locked),
    /// for a lane's events, which were counted as submitted when they
    /// entered the lane.
    pub(crate) fn send_lane_locked(
        &mut self,
        events: Vec<T>,
        failed: &impl Fn() -> bool,
        wake: &impl Fn(),
    ) -> Result<(), Vec<T>> {
        self.push_batch(events, failed, wake, false)
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

/// Where single `submit`s of a handle wait for their core, one lane per
/// channel. The handle appends under the lock; the core takes the whole
/// lane (swapping in an empty vector) whenever it has caught up with the
/// channel's ring, or the handle moves it into the ring as one batch when
/// it is full, when a watermark must follow it, or on `flush`. So a single
/// event costs a lock and a push instead of a ring message, and waits no
/// longer than it would have in the ring: a core with work takes the lane
/// right after the ring, a core without work is woken by the first event.
#[derive(Debug)]
pub(crate) struct Lane<T> {
    pub(crate) events: std::sync::Mutex<Vec<T>>,
    /// Events in the lane, for the core to look at without the lock (and
    /// for the sleep check: written before the handle's wake-up fence).
    pub(crate) len: crate::sync::AtomicUsize,
}

impl<T> Default for Lane<T> {
    fn default() -> Self {
        Lane {
            events: std::sync::Mutex::new(Vec::new()),
            len: crate::sync::AtomicUsize::new(0),
        }
    }
}

impl<T> Lane<T> {
    /// The lane's events, locked (a poisoned lock still holds them).
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Vec<T>> {
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the lane holds events, without the lock.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(Ordering::Acquire) == 0
    }
}

/// The worker's end of a channel.
#[derive(Debug)]
pub(crate) struct Receiver<T> {
    pub(crate) rx: Consumer<Message<T>>,
    /// Sends emptied batch vectors back to the sender; one that does not
    /// fit (the sender has plenty) is dropped.
    pub(crate) spare: Producer<Vec<T>>,
    /// The handle's single submits (see [`Lane`]).
    pub(crate) lane: Arc<Lane<T>>,
    /// An empty vector to swap into the lane when taking it.
    pub(crate) stolen: Vec<T>,
    pub(crate) shared: Arc<ChannelShared>,
    /// The highest watermark this channel has carried.
    pub(crate) watermark: Timestamp,
    /// When it last carried anything (kept only with an idle timeout).
    pub(crate) last_active: std::time::Instant,
    /// Silent past the idle timeout: not counted in the core's watermark.
    pub(crate) idle: bool,
    /// From another core's source (an exchange), not from an input handle:
    /// its watermark is one the core's own sources align with.
    pub(crate) exchange: bool,
    /// The last checkpoint barrier it carried (from another core's
    /// source, which sends one on every channel as the barrier enters its
    /// core).
    pub(crate) barrier: u64,
}

impl<T> Receiver<T> {
    /// True once the sender is done and every item has been taken. Reads the
    /// state before the ring: a `CLOSED` seen here orders every push before it.
    pub(crate) fn is_finished(&mut self) -> bool {
        self.shared.is_closed() && self.rx.is_empty() && self.lane.is_empty()
    }

    /// Takes the lane's events into [`stolen`](Self::stolen), if the ring
    /// is empty: the lane is newer than the ring, so it goes after it. The
    /// check is made under the lane's lock, which the handle holds while it
    /// moves the lane into the ring. Returns how many it took.
    pub(crate) fn take_lane(&mut self) -> usize {
        if self.lane.is_empty() {
            return 0;
        }
        let Ok(mut lane) = self.lane.events.try_lock() else {
            // The handle is at it: next pass.
            return 0;
        };
        if !self.rx.is_empty() {
            return 0;
        }
        if self.stolen.capacity() < lane.capacity() {
            // The first take: from then on the two vectors trade places.
            self.stolen.reserve(lane.capacity());
        }
        core::mem::swap(&mut *lane, &mut self.stolen);
        self.lane.len.store(0, Ordering::Release);
        self.stolen.len()
    }

    /// Notes that the channel carried something at `now`. True if it was
    /// idle: it holds the watermark back again.
    #[inline]
    pub(crate) fn mark_active(&mut self, now: Instant) -> bool {
        self.last_active = now;
        core::mem::take(&mut self.idle)
    }

    /// Marks the channel idle if it has carried nothing for `timeout`. True
    /// if it just became idle: it stops holding the watermark back.
    #[inline]
    pub(crate) fn mark_idle_after(&mut self, now: Instant, timeout: Duration) -> bool {
        if self.idle || now.duration_since(self.last_active) < timeout {
            return false;
        }
        self.idle = true;
        true
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
    pub(crate) refused: u64,
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
        self.refused += c.refused.get();
        self.blocked += c.blocked.get();
        self.blocked_ns += c.blocked_ns.get();
        self.credits_acquired += c.credits.acquired.get();
        self.credits_released += c.credits.released.get();
    }
}
