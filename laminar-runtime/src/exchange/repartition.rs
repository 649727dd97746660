//! An exchange in mid-pipeline: the operator a `key_by` after other stages
//! (or a `window_all`) becomes. Each event goes to the core that owns its
//! key: on through the chain if that is this core, else staged for that
//! core and sent as a batch. Events from the other cores come in through
//! [`Operator::poll`] and go on through the same chain.
//!
//! Time after an exchange is the lowest of every core's: each core sends
//! its watermark and its end in band on every outgoing ring, after the
//! events they cover, and the stages after the exchange move to the lowest
//! watermark over this core's own and every channel still open, and end
//! when every core's stream has ended.
//!
//! It never waits. Events for a destination whose ring is full stay
//! staged; with a batch staged for some destination, its polls say
//! `held`, and the core stops feeding its chain input until they are sent,
//! while it goes on taking in every exchange's incoming rings (the
//! argument that this cannot deadlock is in `docs/DESIGN-NOTES.md`).

use super::fabric::Fabric;
use super::outgoing::Outgoing;
use crate::channel::{BATCH, Receiver};
use crate::message::{Message, Timestamp, min_of};
use crate::operator::{Emit, ExchangeCounts, OpenContext, Operator, Polled};
use crate::routing::Route;
use crate::state::StateError;
use crate::sync::Arc;

/// Events staged for one destination at which the exchange holds the
/// core's input: one batch.
const HOLD: usize = BATCH;

/// Routes each event to the core its route picks, as an operator.
pub struct Repartition<T, R> {
    route: R,
    core: usize,
    cores: usize,
    /// The channels, once opened on a run of more than one core.
    wire: Option<Wire<T>>,
    /// The watermark of this core's stream into the exchange.
    local_watermark: Timestamp,
    /// This core's stream into the exchange has ended.
    local_ended: bool,
    /// The last watermark passed downstream.
    forwarded: Timestamp,
    /// After how long a silent stream into the exchange (this core's own,
    /// or another core's channel) stops holding the time after it back,
    /// as a silent input does at a core (the pipeline's `idle = ..`).
    idle_timeout: Option<std::time::Duration>,
    /// Calls from upstream on this core (events and watermarks), and how
    /// many there were when last looked at, and when that changed.
    local_calls: u64,
    local_seen: (u64, std::time::Instant),
    /// This core's stream has been silent past the idle timeout.
    local_idle: bool,
    /// The end was passed downstream.
    ended_downstream: bool,
    /// The last checkpoint barrier this core's stream passed, and the last
    /// one passed downstream (once every stream into the exchange had it).
    local_barrier: u64,
    aligned: u64,
    /// This core's events that stay here, from after its barrier while the
    /// exchange aligns: they go on once the barrier has.
    local_held: Vec<T>,
    /// Whether this core's last barrier went out on every ring; until it
    /// has, events from after it wait in `after_barrier`, since staged
    /// events go out before the barrier.
    barrier_out: bool,
    after_barrier: Vec<T>,
    counts: ExchangeCounts,
}

struct Wire<T> {
    fabric: Arc<Fabric>,
    outgoing: Outgoing<T>,
    incoming: Vec<Incoming<T>>,
}

struct Incoming<T> {
    /// The sending core.
    from: usize,
    rx: Receiver<T>,
    ended: bool,
    /// The last checkpoint barrier it delivered. While it is ahead of the
    /// exchange's (aligning), the channel is not read: what follows the
    /// barrier belongs to the next checkpoint.
    barrier: u64,
    /// Messages read with a barrier, after it: taken once aligned.
    held: std::collections::VecDeque<Message<T>>,
    /// What one read took from the ring (kept for its capacity).
    read: Vec<Message<T>>,
}

impl<T, R> Repartition<T, R> {
    /// An exchange that sends each event where `route` says.
    pub fn new(route: R) -> Self {
        Repartition {
            route,
            core: 0,
            cores: 1,
            wire: None,
            local_watermark: 0,
            local_ended: false,
            forwarded: 0,
            idle_timeout: None,
            local_calls: 0,
            local_seen: (0, std::time::Instant::now()),
            local_idle: false,
            ended_downstream: false,
            local_barrier: 0,
            aligned: 0,
            local_held: Vec::new(),
            barrier_out: true,
            after_barrier: Vec::new(),
            counts: ExchangeCounts::default(),
        }
    }
}

// A fresh, unopened exchange: the channels belong to the core that opened
// them.
impl<T, R: Clone> Clone for Repartition<T, R> {
    fn clone(&self) -> Self {
        Repartition::new(self.route.clone())
    }
}

impl<T, R> core::fmt::Debug for Repartition<T, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Repartition")
            .field("core", &self.core)
            .field("cores", &self.cores)
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static, R> Repartition<T, R> {
    /// Sends what is staged, then this core's watermark and end where they
    /// can go; true if something is left to send.
    fn send(&mut self) -> bool {
        let Some(w) = &mut self.wire else {
            return false;
        };
        let fabric = &w.fabric;
        let wake = |core| fabric.wake(core);
        if !w.outgoing.flush(wake, &mut self.counts.sent) {
            return true;
        }
        // A barrier follows the events before it and comes before the end.
        if !self.barrier_out {
            if !w.outgoing.send_barrier(self.local_barrier, wake) {
                return true;
            }
            self.barrier_out = true;
        }
        // The watermark and the end follow every event they cover, those
        // waiting from after a barrier too.
        if !self.after_barrier.is_empty() {
            return true;
        }
        let mut unsent = !w.outgoing.send_watermark(self.local_watermark, wake);
        if self.local_ended {
            unsent |= !w.outgoing.send_end(self.local_watermark, wake);
        }
        unsent
    }

    /// Passes downstream the lowest watermark over this core's stream and
    /// every open channel that is not idle, or the end once all have ended.
    /// When every open stream is idle, the highest of their watermarks goes
    /// (as Flink's watermark valve does): the last stream to fall silent
    /// may have held the time back, and with no stream left to move it,
    /// what it held would otherwise never fire. A stream that wakes later
    /// with older records finds them late, and they are counted as such.
    fn forward_time<E: Emit<T>>(&mut self, out: &mut E) {
        // Events from after this core's barrier wait (aligning, or for the
        // barrier to be out): time must not pass them, or they would be
        // late once they go on.
        if self.ended_downstream
            || self.local_barrier > self.aligned
            || !self.barrier_out
            || !self.after_barrier.is_empty()
        {
            return;
        }
        let local = (!self.local_ended).then_some(self.local_watermark);
        let mut low = local.filter(|_| !self.local_idle);
        let mut high = local;
        let mut ended = self.local_ended;
        if let Some(w) = &self.wire {
            for inc in w.incoming.iter().filter(|i| !i.ended) {
                ended = false;
                high = high.max(Some(inc.rx.watermark));
                if !inc.rx.idle {
                    low = min_of(low, Some(inc.rx.watermark));
                }
            }
        }
        if ended {
            self.ended_downstream = true;
            out.end();
        } else if let Some(to) = low.or(high)
            && to > self.forwarded
        {
            self.forwarded = to;
            out.watermark(to);
        }
    }
}

impl<T: Send + 'static, R: Route<T>> Repartition<T, R> {
    /// Sends `event` where its key belongs: on downstream if that is this
    /// core (held while the exchange aligns a barrier), else staged.
    #[inline]
    fn route_event<E: Emit<T>>(&mut self, event: T, out: &mut E) {
        match &mut self.wire {
            None => {
                self.counts.local += 1;
                out.emit(event);
            }
            Some(w) => {
                let to = self.route.core_of(&event, self.cores);
                if to == self.core {
                    self.counts.local += 1;
                    if self.local_barrier > self.aligned {
                        // After this core's barrier, before the others':
                        // downstream must see the barrier first.
                        self.local_held.push(event);
                    } else {
                        out.emit(event);
                    }
                } else {
                    w.outgoing.stage(to, event);
                }
            }
        }
    }
}

impl<T: Send + 'static, R> Repartition<T, R> {
    /// Passes the barrier downstream once this core's stream and every
    /// channel still open delivered it (aligned); the channels held since
    /// their barrier are read again.
    fn align<E: Emit<T>>(&mut self, out: &mut E) {
        let mut through = if self.local_ended {
            u64::MAX
        } else {
            self.local_barrier
        };
        if let Some(w) = &self.wire {
            for inc in w.incoming.iter().filter(|i| !i.ended) {
                through = through.min(inc.barrier);
            }
        }
        // An ended stream has nothing before any barrier; the barrier that
        // goes is one some stream delivered.
        let seen = self.local_barrier.max(self.wire.as_ref().map_or(0, |w| {
            w.incoming.iter().map(|i| i.barrier).max().unwrap_or(0)
        }));
        let through = through.min(seen);
        if through > self.aligned {
            self.aligned = through;
            out.barrier(through);
            // What this core kept for after the barrier, in order; the
            // other cores' held messages are read at the next poll.
            for e in self.local_held.drain(..) {
                out.emit(e);
            }
            self.forward_time(out);
        }
    }
}

/// What one message from another core did.
enum Took {
    /// Events or time: go on reading.
    Read,
    /// A barrier ahead of the exchange's: stop reading this channel until
    /// aligned.
    Barrier,
}

impl<T> Incoming<T> {
    /// Handles one message from this channel.
    fn take<E: Emit<T>>(
        &mut self,
        msg: Message<T>,
        out: &mut E,
        received: &mut u64,
        time_moved: &mut bool,
    ) -> Took {
        match msg {
            Message::Batch(mut events) => {
                *received += events.len() as u64;
                for e in events.drain(..) {
                    out.emit(e);
                }
                let _ = self.rx.spare.push(events);
            }
            Message::Event(e) => {
                *received += 1;
                out.emit(e);
            }
            Message::Watermark(wm) => {
                if wm > self.rx.watermark {
                    self.rx.watermark = wm;
                    *time_moved = true;
                }
            }
            Message::End => {
                self.ended = true;
                *time_moved = true;
            }
            Message::Barrier(epoch) => {
                self.barrier = self.barrier.max(epoch);
                return Took::Barrier;
            }
        }
        Took::Read
    }
}

#[diagnostic::do_not_recommend]
impl<T, R> Operator for Repartition<T, R>
where
    T: Send + 'static,
    R: Route<T>,
{
    type In = T;
    type Out = T;

    const PASSES_TIME: bool = false;

    #[inline]
    fn on_event<E: Emit<T>>(&mut self, event: T, out: &mut E) {
        self.local_calls += 1;
        if !self.barrier_out {
            // After a barrier that is not out on every ring yet.
            self.after_barrier.push(event);
            return;
        }
        self.route_event(event, out);
    }

    fn on_watermark<E: Emit<T>>(&mut self, watermark: Timestamp, out: &mut E) {
        // After its end, a core's stream has no time: nothing may follow
        // the `End` it sent.
        if self.local_ended {
            return;
        }
        self.local_calls += 1;
        if watermark > self.local_watermark {
            self.local_watermark = watermark;
            self.send();
        }
        self.forward_time(out);
    }

    fn on_end<E: Emit<T>>(&mut self, out: &mut E) {
        self.local_ended = true;
        self.send();
        self.align(out);
        self.forward_time(out);
    }

    fn on_barrier<E: Emit<T>>(&mut self, epoch: u64, out: &mut E) {
        if self.local_ended || epoch <= self.local_barrier {
            return;
        }
        self.local_barrier = epoch;
        self.barrier_out = self.wire.is_none();
        self.send();
        self.align(out);
    }

    fn open(&mut self, cx: &OpenContext) -> Result<(), StateError> {
        self.core = cx.core;
        self.cores = cx.fabric.cores();
        self.idle_timeout = cx.idle_timeout;
        if self.cores > 1 {
            let ends = cx.fabric.join::<T>(cx.core)?;
            self.wire = Some(Wire {
                fabric: cx.fabric.clone(),
                outgoing: Outgoing::new(ends.senders),
                incoming: ends
                    .receivers
                    .into_iter()
                    .map(|(from, rx)| Incoming {
                        from,
                        rx,
                        ended: false,
                        barrier: 0,
                        held: std::collections::VecDeque::new(),
                        read: Vec::new(),
                    })
                    .collect(),
            });
        }
        Ok(())
    }

    fn poll<E: Emit<T>>(&mut self, out: &mut E) -> Polled {
        if self.wire.is_none() {
            return Polled {
                done: self.ended_downstream,
                ..Polled::IDLE
            };
        }
        let unsent = self.send();
        if self.barrier_out && !self.after_barrier.is_empty() {
            // The barrier is out on every ring: what came after it goes
            // where it belongs, behind it.
            let after = core::mem::take(&mut self.after_barrier);
            let mut after = after;
            for e in after.drain(..) {
                self.route_event(e, out);
            }
            self.after_barrier = after;
            // Time held back behind them may go now.
            self.send();
            self.forward_time(out);
        }
        let mut moved = 0;
        let mut time_moved = false;
        let now = self.idle_timeout.map(|t| (std::time::Instant::now(), t));
        if let Some((now, timeout)) = now {
            if self.local_calls != self.local_seen.0 {
                self.local_seen = (self.local_calls, now);
                time_moved |= core::mem::take(&mut self.local_idle);
            } else if !self.local_idle && now.duration_since(self.local_seen.1) >= timeout {
                self.local_idle = true;
                time_moved = true;
            }
        }
        let aligned = self.aligned;
        let mut barrier_in = false;
        if let Some(w) = &mut self.wire {
            for inc in w.incoming.iter_mut().filter(|i| !i.ended) {
                let (mut n, mut credits) = (0, 0);
                // What came after a barrier, once that barrier is aligned.
                while inc.barrier <= aligned
                    && let Some(msg) = inc.held.pop_front()
                {
                    let took = inc.take(msg, out, &mut self.counts.received, &mut time_moved);
                    barrier_in |= matches!(took, Took::Barrier);
                }
                let mut blocked = inc.barrier > aligned;
                if !blocked {
                    let mut read = core::mem::take(&mut inc.read);
                    read.extend(inc.rx.rx.pop_batch(BATCH));
                    for msg in read.drain(..) {
                        n += 1;
                        // One credit per event, not per message.
                        credits += match &msg {
                            Message::Batch(events) => events.len(),
                            _ => 1,
                        };
                        if blocked {
                            // Read with the barrier, after it: held.
                            inc.held.push_back(msg);
                            continue;
                        }
                        let took = inc.take(msg, out, &mut self.counts.received, &mut time_moved);
                        if matches!(took, Took::Barrier) {
                            blocked = true;
                            barrier_in = true;
                        }
                    }
                    inc.read = read;
                }
                if n > 0 {
                    inc.rx.shared.credits.release(credits);
                    moved += n;
                }
                // A channel silent past the idle timeout stops holding the
                // time after the exchange back until it sends again, as an
                // input channel does at a core.
                if let Some((now, timeout)) = now {
                    time_moved |= if n > 0 {
                        inc.rx.mark_active(now)
                    } else {
                        inc.rx.mark_idle_after(now, timeout)
                    };
                }
            }
        }
        if barrier_in || time_moved {
            self.align(out);
        }
        if time_moved {
            self.forward_time(out);
        }
        // Input waits while a batch is staged for a full ring (held: the
        // stages before stop too), and while this core's barrier is not out
        // on every ring or waits for the others' (aligning: the stages
        // before go on, since they may have a barrier of their own to send).
        let held = self
            .wire
            .as_ref()
            .is_some_and(|w| (0..self.cores).any(|c| w.outgoing.staged(c) >= HOLD));
        let aligning = self.local_barrier > self.aligned || !self.barrier_out;
        let all_in = self
            .wire
            .as_ref()
            .is_none_or(|w| w.incoming.iter().all(|i| i.ended));
        Polled {
            moved,
            held,
            unsent,
            done: self.local_ended && all_in && !unsent && self.ended_downstream,
            aligning,
        }
    }

    fn flush_outgoing(&mut self) {
        self.send();
    }

    fn has_input(&mut self) -> bool {
        let aligned = self.aligned;
        // A channel held for alignment has nothing to take until the
        // others deliver the barrier.
        self.wire.as_mut().is_some_and(|w| {
            w.incoming.iter_mut().any(|i| {
                !i.ended && i.barrier <= aligned && (!i.held.is_empty() || !i.rx.rx.is_empty())
            })
        })
    }

    fn exchange_watermark(&self) -> Option<Timestamp> {
        // Only cores still reading a source set a pace: one whose splits
        // ended (or that has none) would hold the others back for good.
        self.wire.as_ref().and_then(|w| {
            w.incoming
                .iter()
                .filter(|i| !i.ended && !i.rx.idle && w.fabric.is_reading(i.from))
                .map(|i| i.rx.watermark)
                .min()
        })
    }

    fn exchange_counts(&self, counts: &mut ExchangeCounts) {
        counts.sent += self.counts.sent;
        counts.received += self.counts.received;
        counts.local += self.counts.local;
    }
}
