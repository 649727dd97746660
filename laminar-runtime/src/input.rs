//! Typed input handles. Each handle owns one SPSC ring into every core, so
//! any number of threads can submit without a lock: give each thread its own
//! handle ([`Input::clone`] opens fresh rings).

use crate::channel::{Lane, NoCredit, Sender};
use crate::config::Policy;
use crate::error::SubmitError;
use crate::message::{Message, Timestamp};
use crate::routing::Route;
use crate::shared::Shared;
use crate::sync::{Arc, Ordering};

// `submit_async` and `submit_all_async`, with the `tokio` feature.
#[cfg(feature = "tokio")]
mod submit_async;

/// Submits events of type `T`, routed by `R`.
///
/// ```
/// # use laminar_runtime::{operator::{Emit, Operator}, pipeline::Pipeline, routing::RoundRobin, Runtime};
/// # struct Id; impl Operator for Id { type In = u32; type Out = u32;
/// #   fn on_event<E: Emit<u32>>(&mut self, e: u32, o: &mut E) { o.emit(e) } }
/// # struct P; impl Pipeline for P { type In = u32; type Out = u32; type Op = Id; type Route = RoundRobin;
/// #   fn route(&self) -> RoundRobin { RoundRobin::default() } fn instantiate(&self, _: usize) -> Id { Id } }
/// let mut rt = Runtime::builder().cores(2).build(P)?;
/// let mut input = rt.input();
/// std::thread::scope(|s| {
///     let mut second = input.clone(); // its own rings
///     s.spawn(move || second.submit(2).unwrap());
///     input.submit(1).unwrap();
/// });
/// let mut out = Vec::new();
/// rt.finish_into(&mut out)?;
/// out.sort();
/// assert_eq!(out, [1, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Input<T: Send + 'static, R> {
    senders: Vec<Sender<T>>,
    /// Each channel's lane, where single submits wait (see `Lane`).
    lanes: Vec<Arc<Lane<T>>>,
    /// Per core, the batch being filled by a `submit_iter`; empty between
    /// calls.
    staging: Vec<Staged<T>>,
    route: R,
    shared: Arc<Shared<T>>,
    clock: HandleClock,
}

/// Events between two watermarks a handle sends on its own. Each watermark
/// is one message per core, so this costs `cores / WATERMARK_EVERY` extra
/// messages per event.
const WATERMARK_EVERY: u32 = 64;

/// Events between two watermarks on the batched path. A watermark must
/// follow every event it covers, so it sends every core's partial batch
/// first: this keeps batches mostly full.
const WATERMARK_EVERY_BATCHED: u32 = 256;

/// Events of a `submit_iter` batch between two wake-ups of the cores, each
/// after publishing what every core was sent.
const NOTIFY_EVERY: usize = 64;

/// A handle's view of event time, for pipelines that have one.
#[derive(Debug, Default)]
struct HandleClock {
    /// Highest timestamp submitted.
    max: Option<Timestamp>,
    /// Last watermark sent.
    sent: Timestamp,
    /// Events since it was sent.
    since: u32,
}

impl HandleClock {
    /// Notes a timestamp; true when a watermark is due.
    #[inline]
    fn observe(&mut self, ts: Timestamp) -> bool {
        self.note(ts);
        self.since >= WATERMARK_EVERY
    }

    /// Notes a timestamp.
    #[inline]
    fn note(&mut self, ts: Timestamp) {
        self.max = Some(self.max.map_or(ts, |m| m.max(ts)));
        self.since += 1;
    }

    /// The watermark to send now, if it moved.
    fn due(&mut self, out_of_orderness: Timestamp) -> Option<Timestamp> {
        self.since = 0;
        let wm = self.max?.saturating_sub(out_of_orderness);
        (wm > self.sent).then(|| {
            self.sent = wm;
            wm
        })
    }
}

impl<T: Send + 'static, R: Route<T>> Input<T, R> {
    pub(crate) fn new(shared: Arc<Shared<T>>, route: R) -> Self {
        let senders: Vec<Sender<T>> = (0..shared.cores.len())
            .map(|core| shared.open_channel(core))
            .collect();
        Input {
            staging: senders.iter().map(|_| Staged::default()).collect(),
            lanes: senders.iter().map(|tx| tx.lane.clone()).collect(),
            senders,
            route,
            shared,
            clock: HandleClock::default(),
        }
    }

    /// Sends `watermark` to every core; the caller holds every channel.
    fn broadcast_locked(&mut self, watermark: Timestamp) -> bool {
        let shared = &self.shared;
        self.senders.iter_mut().enumerate().all(|(core, tx)| {
            // Control messages always wait for credit: dropping a watermark
            // would stall event time.
            tx.send_locked(
                Message::Watermark(watermark),
                crate::Policy::Block,
                &|| shared.stop_waiting(),
                &|| shared.cores[core].waker.notify(),
            )
            .is_ok()
        })
    }

    /// Locks every channel; false (with none held) if the runtime closed.
    fn lock_all(&mut self) -> bool {
        for held in 0..self.senders.len() {
            if !self.senders[held].lock() {
                for tx in &mut self.senders[..held] {
                    tx.unlock();
                }
                return false;
            }
        }
        true
    }

    fn unlock_all(&mut self) {
        drop(Held(self));
    }

    /// Sends the watermark the handle's clock says is due, if any.
    fn send_due_watermark(&mut self) {
        if let Some(wm) = self.clock.due(self.route.out_of_orderness()) {
            // The watermark follows every event it covers, those waiting
            // in the lanes included.
            self.flush();
            if !self.lock_all() {
                return;
            }
            // A failure here means the runtime is closing or failed; the
            // next submit reports it.
            let _ = self.broadcast_locked(wm);
            self.unlock_all();
        }
    }

    /// Routes `event` to its core and enqueues it.
    ///
    /// Under `Block` (the default), the event waits in the handle's lane
    /// for its core, with no ring message of its own: the core takes the
    /// lane's events as soon as it has caught up with the events before
    /// them (a core with nothing to do is woken by the first), and a full
    /// lane (as many as one batch) goes to the core as one batch. So an
    /// event waits no longer than it would in the ring, and a burst of
    /// single submits crosses in batches. [`flush`](Self::flush) moves the
    /// lanes into the rings at once.
    ///
    /// Under the `Drop` policy a full core discards the event, counts it,
    /// and says so: [`Admission::Dropped`]. Under `Error` the event comes
    /// back in [`SubmitError::Backpressure`]. Once a core has failed, every
    /// submit returns [`SubmitError::Failed`] with the event, whatever the
    /// policy.
    #[inline]
    pub fn submit(&mut self, event: T) -> Result<Admission, SubmitError<T>> {
        if self.shared.is_failed() {
            return Err(SubmitError::Failed(event));
        }
        let cores = self.senders.len();
        let core = self.route.core_of(&event, cores);
        let ts = self.route.timestamp(&event);
        let outcome = if self.shared.config.policy == Policy::Block {
            self.stage(core, event).map(|()| Admission::Queued)
        } else {
            self.send_one(core, event)
        };
        if let Some(ts) = ts
            && self.clock.observe(ts)
        {
            self.send_due_watermark();
        }
        outcome
    }

    /// `submit` under `Block`: into the lane, and the lane into the ring
    /// once it holds a batch.
    #[inline]
    fn stage(&mut self, core: usize, event: T) -> Result<(), SubmitError<T>> {
        let lane = &self.lanes[core];
        let tx = &mut self.senders[core];
        let mut staged = lane.lock();
        if tx.shared.is_closed() {
            drop(staged);
            return Err(gave_up(&self.shared, event));
        }
        let was_empty = staged.is_empty();
        if staged.capacity() == 0 {
            staged.reserve_exact(tx.batch_max);
        }
        staged.push(event);
        tx.shared.submitted.add(1);
        if staged.len() >= tx.batch_max {
            move_lane(&self.shared, core, tx, lane, &mut staged);
        } else {
            lane.len.store(staged.len(), Ordering::Release);
        }
        drop(staged);
        if was_empty {
            // A core asleep learns of the lane here (the length was
            // written before this wake-up's fence).
            self.shared.cores[core].waker.notify();
        }
        Ok(())
    }

    /// `submit` under `Drop` and `Error`: each event on its own through the
    /// ring, so that it is admitted, dropped or handed back at once.
    fn send_one(&mut self, core: usize, event: T) -> Result<Admission, SubmitError<T>> {
        let tx = &mut self.senders[core];
        if !tx.lock() {
            return Err(gave_up(&self.shared, event));
        }
        let shared = &self.shared;
        let result = tx.send_locked(
            Message::Event(event),
            shared.config.policy,
            &|| shared.stop_waiting(),
            &|| shared.cores[core].waker.notify(),
        );
        tx.unlock();
        shared.cores[core].waker.notify();
        match result {
            Ok(()) => Ok(Admission::Queued),
            Err(NoCredit::Dropped) => Ok(Admission::Dropped { core }),
            Err(NoCredit::Rejected(m)) => Err(SubmitError::Backpressure {
                event: unwrap_event(m),
                core,
            }),
            Err(NoCredit::Failed(m)) => Err(gave_up(shared, unwrap_event(m))),
        }
    }

    /// Moves the events waiting in the handle's lanes (single `submit`s
    /// under `Block`) into the cores' rings now, instead of when a core
    /// takes them or a lane fills. Events do not wait in a lane longer
    /// than in a ring, so this is rarely needed; `submit_iter`,
    /// `advance_watermark` and every watermark the handle sends do it
    /// first, so that order holds.
    pub fn flush(&mut self) {
        for core in 0..self.senders.len() {
            let lane = &self.lanes[core];
            if lane.is_empty() {
                continue;
            }
            let mut staged = lane.lock();
            if !staged.is_empty() {
                move_lane(
                    &self.shared,
                    core,
                    &mut self.senders[core],
                    lane,
                    &mut staged,
                );
            }
        }
    }

    /// Submits every event of `events`, holding each core's channel once for
    /// the whole batch and waking each core once. Returns how many were
    /// queued and how many the `Drop` policy discarded. Stops at the first
    /// event that is refused and returns it; the events after it stay in the
    /// iterator.
    ///
    /// A panic in the iterator or in the pipeline's key or time closures
    /// unwinds out of this call with the channels released: the events
    /// queued before it stay queued, and the handle stays usable.
    pub fn submit_iter<I: IntoIterator<Item = T>>(
        &mut self,
        events: I,
    ) -> Result<Admitted, SubmitError<T>> {
        let mut events = events.into_iter();
        let shared = self.shared.clone();
        // Single submits made before go first.
        self.flush();
        if shared.is_failed() || !self.lock_all() {
            return match events.next() {
                Some(e) => Err(gave_up(&shared, e)),
                None => Ok(Admitted::default()),
            };
        }
        // Releases the channels however this call ends, a user panic
        // included: a channel left busy would make every later submit, the
        // handle's drop and `finish` wait for it forever.
        let held = Held(self);
        let this = &mut *held.0;
        let failed = || shared.stop_waiting();
        let mut admitted = Admitted::default();
        let mut outcome = Ok(());
        if shared.config.policy == Policy::Block {
            outcome = this.submit_batched(&mut events, &mut admitted);
        } else {
            this.submit_each(&mut events, &mut admitted, &mut outcome, &failed);
        }
        // The batch's last watermark goes out with it, so a core is never
        // left waiting on events the handle has already sent.
        if let Some(wm) = this.clock.due(this.route.out_of_orderness()) {
            let _ = this.broadcast_locked(wm);
        }
        drop(held);
        outcome.map(|()| admitted)
    }

    /// `submit_iter` under `Drop` and `Error`, event by event, so that each
    /// event is admitted, dropped or handed back on its own.
    fn submit_each<I: Iterator<Item = T>>(
        &mut self,
        events: &mut I,
        admitted: &mut Admitted,
        outcome: &mut Result<(), SubmitError<T>>,
        failed: &impl Fn() -> bool,
    ) {
        let cores = self.senders.len();
        let shared = self.shared.clone();
        let this = self;
        for event in events.by_ref() {
            if shared.is_failed() {
                *outcome = Err(SubmitError::Failed(event));
                break;
            }
            let core = this.route.core_of(&event, cores);
            if let Some(ts) = this.route.timestamp(&event)
                && this.clock.observe(ts)
                && let Some(wm) = this.clock.due(this.route.out_of_orderness())
            {
                let _ = this.broadcast_locked(wm);
            }
            let wake = || shared.cores[core].waker.notify();
            match this.senders[core].send_locked(
                Message::Event(event),
                shared.config.policy,
                failed,
                &wake,
            ) {
                Ok(()) => admitted.queued += 1,
                Err(NoCredit::Dropped) => admitted.dropped += 1,
                Err(NoCredit::Rejected(m)) => {
                    *outcome = Err(SubmitError::Backpressure {
                        event: unwrap_event(m),
                        core,
                    });
                    break;
                }
                Err(NoCredit::Failed(m)) => {
                    *outcome = Err(gave_up(&shared, unwrap_event(m)));
                    break;
                }
            }
            // A long batch tells the cores as it goes, so that they work
            // while it is being submitted, not after.
            if (admitted.queued + admitted.dropped).is_multiple_of(NOTIFY_EVERY) {
                for (tx, c) in this.senders.iter_mut().zip(&shared.cores) {
                    tx.publish();
                    c.waker.notify();
                }
            }
        }
    }

    /// `submit_iter` under `Block`: events go into one batch per core, and
    /// each full batch crosses to its core as one message, with one credit
    /// acquisition, one publish and one wake-up check.
    fn submit_batched<I: Iterator<Item = T>>(
        &mut self,
        events: &mut I,
        admitted: &mut Admitted,
    ) -> Result<(), SubmitError<T>> {
        let cores = self.senders.len();
        let shared = self.shared.clone();
        for event in events.by_ref() {
            if shared.is_failed() {
                return Err(SubmitError::Failed(event));
            }
            let core = self.route.core_of(&event, cores);
            if let Some(ts) = self.route.timestamp(&event) {
                self.clock.note(ts);
                if self.clock.since >= WATERMARK_EVERY_BATCHED
                    && let Some(wm) = self.clock.due(self.route.out_of_orderness())
                {
                    // Everything the watermark covers goes first.
                    self.send_staged(admitted)?;
                    let _ = self.broadcast_locked(wm);
                }
            }
            // `room` is 0 when the lane has no vector yet, and reaches 0
            // again when its batch is full, which then goes at once (not
            // when the next event comes: a sender refused on credit must
            // not have taken one more event from the iterator).
            if self.staging[core].room == 0 {
                self.refill(core);
            }
            let lane = &mut self.staging[core];
            lane.staged.push(event);
            lane.room -= 1;
            if lane.room == 0 {
                self.send_core(core, admitted)?;
            }
        }
        self.send_staged(admitted)
    }

    /// Promises that no event with a timestamp below `watermark` follows from
    /// this handle; sent to every core in band.
    pub fn advance_watermark(
        &mut self,
        watermark: Timestamp,
    ) -> Result<(), SubmitError<Timestamp>> {
        self.flush();
        if self.shared.is_failed() || !self.lock_all() {
            return Err(gave_up(&self.shared, watermark));
        }
        let ok = self.broadcast_locked(watermark);
        self.clock.sent = self.clock.sent.max(watermark);
        self.unlock_all();
        if ok {
            Ok(())
        } else {
            Err(gave_up(&self.shared, watermark))
        }
    }

    /// Number of cores events are spread over.
    pub fn cores(&self) -> usize {
        self.senders.len()
    }
}

/// One core's batch being filled.
struct Staged<T> {
    staged: Vec<T>,
    /// Events that still fit: 0 when full, and when there is no vector.
    room: usize,
}

impl<T> Default for Staged<T> {
    fn default() -> Self {
        Staged {
            staged: Vec::new(),
            room: 0,
        }
    }
}

/// The batch path's sends, which need no route: `Held` calls them too.
impl<T: Send + 'static, R> Input<T, R> {
    /// Takes a vector for `core`'s next batch.
    #[cold]
    fn refill(&mut self, core: usize) {
        let shared = &self.shared;
        let tx = &mut self.senders[core];
        let vec = tx.batch_vec(&|| shared.stop_waiting(), &|| {
            shared.cores[core].waker.notify()
        });
        // An unallocated vector means the runtime failed or is closing;
        // the push that follows allocates, and the send that follows
        // refuses the batch.
        self.staging[core] = Staged {
            room: tx.batch_max.max(1),
            staged: vec,
        };
    }

    /// Sends every core's partial batch.
    fn send_staged(&mut self, admitted: &mut Admitted) -> Result<(), SubmitError<T>> {
        for core in 0..self.senders.len() {
            if !self.staging[core].staged.is_empty() {
                self.send_core(core, admitted)?;
            }
        }
        Ok(())
    }

    /// Sends `core`'s batch. If the runtime closes or fails while it waits
    /// for credit, the first event comes back in the error and the others
    /// are counted as refused.
    fn send_core(&mut self, core: usize, admitted: &mut Admitted) -> Result<(), SubmitError<T>> {
        let batch = core::mem::take(&mut self.staging[core]).staged;
        let n = batch.len();
        let shared = &self.shared;
        let tx = &mut self.senders[core];
        let sent = tx.send_batch_locked(batch, &|| shared.stop_waiting(), &|| {
            shared.cores[core].waker.notify()
        });
        tx.publish();
        shared.cores[core].waker.notify();
        match sent {
            Ok(()) => {
                admitted.queued += n;
                Ok(())
            }
            Err(back) => {
                let mut back = back.into_iter();
                tx.shared.refused.add(n.saturating_sub(1) as u64);
                match back.next() {
                    Some(first) => Err(gave_up(shared, first)),
                    None => Ok(()),
                }
            }
        }
    }
}

/// Sends a lane's events to its core as one batch, the lane locked (so
/// that the core cannot take events that follow the ones in flight). If the
/// channel is closed or the runtime fails while it waits for credit, the
/// events stay in the lane: the core takes them before it ends, or counts
/// them as abandoned.
fn move_lane<T: Send + 'static>(
    shared: &Shared<T>,
    core: usize,
    tx: &mut Sender<T>,
    lane: &Lane<T>,
    staged: &mut Vec<T>,
) {
    if !tx.lock() {
        lane.len.store(staged.len(), Ordering::Release);
        return;
    }
    let failed = || shared.stop_waiting();
    let wake = || shared.cores[core].waker.notify();
    let fresh = tx.batch_vec(&failed, &wake);
    let full = core::mem::replace(staged, fresh);
    if let Err(back) = tx.send_lane_locked(full, &failed, &wake) {
        *staged = back;
    }
    lane.len.store(staged.len(), Ordering::Release);
    tx.unlock();
    shared.cores[core].waker.notify();
}

/// Every channel of a handle, held for one `submit_iter`; released on drop,
/// unwinding included.
struct Held<'a, T: Send + 'static, R>(&'a mut Input<T, R>);

impl<T: Send + 'static, R> Drop for Held<'_, T, R> {
    fn drop(&mut self) {
        let input = &mut *self.0;
        // Events a panic left in a batch were taken from the caller's
        // iterator: they go out as if the call had ended there. No caller
        // takes back the event a refusal would return, so it counts as
        // refused with the rest.
        for core in 0..input.senders.len() {
            if !input.staging[core].staged.is_empty()
                && input.send_core(core, &mut Admitted::default()).is_err()
            {
                input.senders[core].shared.refused.add(1);
            }
        }
        for (core, tx) in input.senders.iter_mut().enumerate() {
            tx.unlock();
            input.shared.cores[core].waker.notify();
        }
    }
}

/// What became of one submitted event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Queued for its core.
    Queued,
    /// Discarded under [`Policy::Drop`](crate::Policy::Drop) because `core`
    /// had no credit; counted in that core's
    /// [`dropped`](crate::CoreReport::dropped).
    Dropped {
        /// The core it was routed to.
        core: usize,
    },
}

impl Admission {
    /// True if the event was queued.
    pub fn is_queued(self) -> bool {
        self == Admission::Queued
    }
}

/// What became of a batch given to [`Input::submit_iter`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Admitted {
    /// Events queued for their cores.
    pub queued: usize,
    /// Events discarded under [`Policy::Drop`](crate::Policy::Drop).
    pub dropped: usize,
}

impl Admitted {
    /// Events taken from the iterator and not refused: queued or dropped.
    pub fn total(self) -> usize {
        self.queued + self.dropped
    }
}

/// The error for a send that was refused or stopped waiting for credit:
/// `Failed` if a core failed, else `Closed`, because `finish` began (see
/// `Shared::stop_waiting`).
fn gave_up<T, U>(shared: &Shared<T>, value: U) -> SubmitError<U> {
    if shared.is_failed() {
        SubmitError::Failed(value)
    } else {
        SubmitError::Closed(value)
    }
}

fn unwrap_event<T>(m: Message<T>) -> T {
    match m {
        Message::Event(e) => e,
        // Only events are sent through the paths that call this.
        _ => unreachable!("a control message was handed back as an event"),
    }
}

impl<T: Send + 'static, R> Drop for Input<T, R> {
    fn drop(&mut self) {
        // Close first, then wake, so a sleeping core sees the channel done
        // at once instead of at its next timed wake-up.
        for (core, tx) in self.senders.iter().enumerate() {
            tx.shared.close();
            self.shared.cores[core].waker.wake();
        }
    }
}

impl<T: Send + 'static, R: Route<T>> Clone for Input<T, R> {
    /// A new handle with its own rings into every core.
    fn clone(&self) -> Self {
        Input::new(self.shared.clone(), self.route.clone())
    }
}

impl<T: Send + 'static, R> core::fmt::Debug for Input<T, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Input")
            .field("cores", &self.senders.len())
            .finish_non_exhaustive()
    }
}
