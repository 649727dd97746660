//! Submitting from async code (the `tokio` feature): `submit_async` and
//! `submit_all_async` wait for credit as a task, never blocking a thread.
//!
//! Each send tries the channel once ([`Sender::try_send_locked`]); when the
//! core has no credit, the policy decides as it does for `submit`: `Drop`
//! discards and counts, `Error` hands the event back, and `Block` releases
//! the channel and waits for credit as a task ([`Sender::poll_credit`]),
//! woken by the core's release. A task also looks again every
//! millisecond, as a blocked thread's park times out, for what wakes no
//! one: credit the core's pool lends, a close, a failure. Watermarks are
//! sent the same way, and always wait, as in the blocking path.
//!
//! [`Sender::try_send_locked`]: crate::channel::Sender
//! [`Sender::poll_credit`]: crate::channel::Sender

use std::time::{Duration, Instant};

use super::{Admission, Admitted, Input, gave_up, unwrap_event};
use crate::channel::{ChannelShared, NoCredit, Sender};
use crate::config::Policy;
use crate::error::SubmitError;
use crate::message::Message;
use crate::routing::Route;
use crate::shared::Shared;
use crate::sync::Arc;

/// How long a task waiting for credit sleeps before it looks again on its
/// own.
const RECHECK: Duration = Duration::from_millis(1);

impl<T: Send + 'static, R: Route<T>> Input<T, R> {
    /// Routes `event` to its core and enqueues it, like
    /// [`submit`](Self::submit), but waits for credit without blocking the
    /// thread: under [`Policy::Block`](crate::Policy::Block) the task
    /// yields until the core frees room. `Drop` and `Error` never wait and
    /// answer as `submit` does. Needs a Tokio runtime with its time driver
    /// (`enable_time`, or `enable_all` as `#[tokio::main]` has).
    ///
    /// Dropping the future while it waits for credit drops the event, which
    /// was not queued: it is counted in the core's
    /// [`refused`](crate::CoreReport::refused), never lost unseen.
    ///
    /// ```
    /// # use laminar_runtime::{operator::{Emit, Operator}, pipeline::Pipeline, routing::RoundRobin, Runtime};
    /// # struct Id; impl Operator for Id { type In = u64; type Out = u64;
    /// #   fn on_event<E: Emit<u64>>(&mut self, e: u64, o: &mut E) { o.emit(e) } }
    /// # struct P; impl Pipeline for P { type In = u64; type Out = u64; type Op = Id; type Route = RoundRobin;
    /// #   fn route(&self) -> RoundRobin { RoundRobin::default() } fn instantiate(&self, _: usize) -> Id { Id } }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut rt = Runtime::builder().cores(2).queue_capacity(4).build(P)?;
    /// let mut input = rt.input();
    /// // Far more events than the queues hold: the task waits, the thread
    /// // does not.
    /// for x in 0..1_000 {
    ///     input.submit_async(x).await?;
    /// }
    /// drop(input);
    /// let mut out = Vec::new();
    /// let report = tokio::task::spawn_blocking(move || rt.finish_into(&mut out).map(|r| (r, out)))
    ///     .await
    ///     .unwrap()?;
    /// assert_eq!(report.1.len(), 1_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn submit_async(&mut self, event: T) -> Result<Admission, SubmitError<T>> {
        if self.shared.is_failed() {
            return Err(SubmitError::Failed(event));
        }
        // Events this handle's plain `submit`s left waiting in its lanes
        // go first, so that the two keep their order. (That move can
        // block the thread on credit: a handle used from async code should
        // submit through these methods only, and then its lanes are empty
        // and this is a load per core.)
        self.flush();
        let core = self.route.core_of(&event, self.senders.len());
        let ts = self.route.timestamp(&event);
        let policy = self.shared.config.policy;
        let outcome = match self.send_async(core, Message::Event(event), policy).await {
            Ok(()) => Ok(Admission::Queued),
            Err(NoCredit::Dropped) => Ok(Admission::Dropped { core }),
            Err(NoCredit::Rejected(m)) => Err(SubmitError::Backpressure {
                event: unwrap_event(m),
                core,
            }),
            Err(NoCredit::Failed(m)) => Err(gave_up(&self.shared, unwrap_event(m))),
        };
        if let Some(ts) = ts
            && self.clock.observe(ts)
        {
            self.send_due_watermark_async().await;
        }
        outcome
    }

    /// [`submit_async`](Self::submit_async) for every event of `events`, in
    /// order, then the watermark they make due, as
    /// [`submit_iter`](Self::submit_iter) sends it at the end of a batch.
    /// Returns how many were queued and dropped; stops at the first event
    /// refused and returns it, the events after it left in the iterator.
    pub async fn submit_all_async<I: IntoIterator<Item = T>>(
        &mut self,
        events: I,
    ) -> Result<Admitted, SubmitError<T>> {
        let mut admitted = Admitted::default();
        let mut outcome = Ok(());
        for event in events {
            match self.submit_async(event).await {
                Ok(Admission::Queued) => admitted.queued += 1,
                Ok(Admission::Dropped { .. }) => admitted.dropped += 1,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        self.send_due_watermark_async().await;
        outcome.map(|()| admitted)
    }

    /// Sends the watermark the handle's clock says is due, if any, to every
    /// core in turn. A failure or a close ends it: the next submit reports
    /// that.
    async fn send_due_watermark_async(&mut self) {
        let Some(wm) = self.clock.due(self.route.out_of_orderness()) else {
            return;
        };
        for core in 0..self.senders.len() {
            // Control messages always wait for credit: dropping a watermark
            // would stall event time.
            let sent = self
                .send_async(core, Message::Watermark(wm), Policy::Block)
                .await;
            if sent.is_err() {
                return;
            }
        }
    }

    /// Sends `msg` to `core`, waiting for credit as a task under `Block`.
    async fn send_async(
        &mut self,
        core: usize,
        mut msg: Message<T>,
        policy: Policy,
    ) -> Result<(), NoCredit<Message<T>>> {
        let shared = &*self.shared;
        let tx = &mut self.senders[core];
        loop {
            if !tx.lock() {
                return Err(NoCredit::Failed(msg));
            }
            let sent = tx.try_send_locked(msg);
            // Released before any wait, so that `finish` can close the
            // channel meanwhile (a blocked thread gives up for the same
            // reason; see `Shared::stop_waiting`).
            tx.unlock();
            shared.cores[core].waker.notify();
            msg = match sent {
                Ok(()) => return Ok(()),
                Err(back) => back,
            };
            match policy {
                Policy::Drop => {
                    tx.shared.dropped.add(1);
                    return Err(NoCredit::Dropped);
                }
                Policy::Error => {
                    tx.shared.rejected.add(1);
                    return Err(NoCredit::Rejected(msg));
                }
                Policy::Block => {}
            }
            let waiting = Waiting::new(&tx.shared, matches!(msg, Message::Event(_)));
            let credit = wait_for_credit(tx, shared).await;
            waiting.done();
            if !credit {
                return Err(NoCredit::Failed(msg));
            }
        }
    }
}

/// Waits until `tx` holds a credit (true), or until the runtime fails or
/// begins closing (false).
async fn wait_for_credit<T>(tx: &mut Sender<T>, shared: &Shared<T>) -> bool {
    loop {
        if shared.stop_waiting() {
            return false;
        }
        let credit = core::future::poll_fn(|cx| tx.poll_credit(cx));
        if tokio::time::timeout(RECHECK, credit).await.is_ok() {
            return true;
        }
    }
}

/// One wait for credit, counted as a blocked thread's is (`blocked`,
/// `blocked_time`); if the future is dropped during it, the event it
/// carried is counted as refused.
struct Waiting {
    channel: Arc<ChannelShared>,
    start: Instant,
    carries_event: bool,
}

impl Waiting {
    fn new(channel: &Arc<ChannelShared>, carries_event: bool) -> Self {
        channel.blocked.add(1);
        Waiting {
            channel: channel.clone(),
            start: Instant::now(),
            carries_event,
        }
    }

    /// The wait ended with the future still alive.
    fn done(mut self) {
        self.carries_event = false;
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let waited = self.start.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
        self.channel.blocked_ns.add(waited);
        if self.carries_event {
            self.channel.refused.add(1);
        }
    }
}
