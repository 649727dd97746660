//! One worker thread per core: owns its operator instance, pops its inboxes
//! in batches, runs the operator, writes to its outbox, and idles without
//! burning the core.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use crate::channel::Receiver;
use crate::exchange::Outgoing;
use crate::idle::SPINS_BEFORE_PARK;
use crate::message::{Message, Timestamp, min_of};
use crate::operator::{Emit, Operator};
use crate::outbox::{OutSink, OutboxEmit};
use crate::report::{CoreReport, Pinning};
use crate::routing::Route;
use crate::shared::{Cause, PendingSource, Shared};
use crate::source::{BoxedSplit, Position, Read};
use crate::sync::{Arc, Ordering};
use crate::time::now_ms;

/// Everything a worker thread takes with it.
pub(crate) struct Worker<Op: Operator, R> {
    pub(crate) core: usize,
    pub(crate) op: Op,
    /// The pipeline's route, for the events the core's own sources read:
    /// their time, and the core they belong to.
    pub(crate) route: R,
    pub(crate) outbox: OutSink<Op::Out>,
    pub(crate) late: OutSink<Op::In>,
    /// The core's watermark follows the wall clock.
    pub(crate) processing_time: bool,
    /// An input silent this long stops holding the watermark back.
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) shared: Arc<Shared<Op::In>>,
    /// The run's exchanges: where the core says whether it still reads a
    /// source, for the other cores' alignment.
    pub(crate) fabric: Arc<crate::exchange::Fabric>,
    /// `Some(cpu)` to pin; `Some(None)` when pinning was asked for but no CPU
    /// list is available.
    pub(crate) pin: Option<Option<core_affinity::CoreId>>,
    /// Where results go instead of the outbox, when the run has a sink.
    pub(crate) sink: Option<Box<dyn crate::sink::SinkWriter<Op::Out>>>,
}

/// What a worker hands back when its thread ends.
pub(crate) struct WorkerExit<O, I> {
    pub(crate) report: CoreReport,
    /// Results a collecting output held beyond its ring, oldest first.
    pub(crate) spill: VecDeque<O>,
    /// The same for late events.
    pub(crate) late_spill: VecDeque<I>,
}

/// A split this core reads, with its exchange if its events may belong to
/// other cores.
struct SourceInput<T> {
    split: BoxedSplit<T>,
    /// The source's number, under which checkpoints record positions.
    source: u32,
    exchange: Option<Outgoing<T>>,
    /// Events of the last read, reused.
    buf: Vec<T>,
    /// Highest timestamp read.
    max_ts: Option<Timestamp>,
    /// This input's watermark on this core: every event it read below it
    /// has reached the operator or its exchange.
    watermark: Timestamp,
    /// The split said `End`.
    ended: bool,
    /// Since when the split has had nothing (`Read::Idle` with no event).
    idle_since: Option<Instant>,
    /// Idle past the pipeline's idle timeout: not counted in the core's
    /// watermark, as an idle input is not.
    idle: bool,
}

impl<T> SourceInput<T> {
    fn new(p: PendingSource<T>) -> Self
    where
        T: Send + 'static,
    {
        SourceInput {
            split: p.split,
            source: p.source,
            exchange: p.exchange.map(Outgoing::new),
            buf: Vec::new(),
            max_ts: None,
            watermark: 0,
            ended: false,
            idle_since: None,
            idle: false,
        }
    }
}

impl<Op: Operator, R: Route<Op::In>> Worker<Op, R>
where
    Op::In: Send + 'static,
    Op::Out: 'static,
{
    pub(crate) fn run(mut self) -> WorkerExit<Op::Out, Op::In> {
        let mut report = CoreReport::new(self.core);
        report.pinning = match self.pin {
            None => Pinning::NotRequested,
            Some(None) => Pinning::Failed("the OS gave no CPU list"),
            Some(Some(id)) => {
                if core_affinity::set_for_current(id) {
                    Pinning::Pinned(id.id)
                } else {
                    Pinning::Failed("the OS refused the affinity mask")
                }
            }
        };
        let shared = self.shared.clone();
        shared.cores[self.core].waker.register_current();
        self.outbox.register_current();
        self.late.register_current();
        let outcome = catch_unwind(AssertUnwindSafe(|| self.work(&mut report)));
        shared.cores[self.core]
            .exited
            .store(true, Ordering::Release);
        if let Err(payload) = outcome {
            let message = if let Some(s) = payload.downcast_ref::<&str>() {
                (*s).to_owned()
            } else if let Some(s) = payload.downcast_ref::<String>() {
                s.clone()
            } else {
                "a panic with a non-string payload".to_owned()
            };
            shared.fail(self.core, Cause::Panic(message));
        }
        let mut lost = 0;
        let spill = self.outbox.close(&shared, &mut lost);
        let late_spill = self.late.close(&shared, &mut lost);
        report.outputs_lost += lost;
        report.outputs_unread = self.outbox.discarded;
        report.late_unread = self.late.discarded;
        WorkerExit {
            report,
            spill,
            late_spill,
        }
    }

    fn work(&mut self, report: &mut CoreReport) {
        let core = self.core;
        let shared = &*self.shared;
        let batch = shared.config.batch_size.max(1);
        let op = &mut self.op;
        let mut out = OutboxEmit {
            out: &mut self.outbox,
            late_out: &mut self.late,
            shared,
            emitted: 0,
            late: 0,
            partly_late: 0,
            late_not_kept: 0,
            lost: 0,
            failure: None,
            through: 0,
            sink: self.sink.take(),
            sink_failure: None,
            snapshot: None,
            prepared: None,
        };
        // The last checkpoint barrier sent into the chain, and the last
        // one the core reported through.
        let mut injected = 0u64;
        let mut acked = 0u64;
        // Where the sources that ended stood: the checkpoints after their
        // end record them too.
        let mut ended_at: Vec<(u32, Position)> = Vec::new();
        let wake = |core: usize| shared.cores[core].waker.notify();
        let processing_time = self.processing_time;
        let idle_timeout = self.idle_timeout;
        let mut inputs: Vec<Receiver<Op::In>> = Vec::new();
        let mut sources: Vec<SourceInput<Op::In>> = Vec::new();
        let mut new_sources: Vec<PendingSource<Op::In>> = Vec::new();
        let route = &mut self.route;
        let cores = shared.cores.len();
        let skew = shared.config.max_source_skew;
        let mut watermark: Timestamp = 0;
        let mut spins = 0u32;
        let mut passes = 0u32;
        // The chain was told its input ended; the core runs on until its
        // exchanges are done.
        let mut ended = false;
        // Whether this core has a split to read, as the fabric last heard.
        let mut reading = false;
        let fabric = &*self.fabric;
        #[cfg(feature = "metrics")]
        let metrics = crate::metrics::CoreMetrics::new(core);
        loop {
            if processing_time && !ended {
                advance(&mut watermark, now_ms(), op, &mut out);
            }
            if shared.is_failed() {
                break;
            }
            if shared.is_cancelled() && !sources.is_empty() {
                shared
                    .sources_live
                    .fetch_sub(sources.len(), Ordering::AcqRel);
                sources.clear();
            }
            shared.take_pending(core, &mut inputs, &mut new_sources);
            sources.extend(new_sources.drain(..).map(SourceInput::new));
            let has_sources = !sources.is_empty();
            if reading != has_sources {
                reading = has_sources;
                fabric.set_reading(core, reading);
            }
            // A checkpoint was asked for: its barrier enters the chain
            // after everything this core took in so far, and before what
            // it takes in next. The core's sources stop reading, and those
            // whose events cross to other cores send the barrier after the
            // events they read; it enters once every other core's sources
            // sent theirs here (aligned at the head), and the sources read
            // on once every core took it in, so each event read before it
            // is in every snapshot's past and none after it.
            let asked = shared.checkpoint_requested.load(Ordering::Acquire);
            let mut barrier_in = false;
            if asked > injected {
                let mut sent = true;
                for src in &mut sources {
                    if let Some(x) = &mut src.exchange {
                        sent &= x.flush(wake, &mut report.sent) && x.send_barrier(asked, wake);
                    }
                }
                let arrived = inputs.iter().all(|c| !c.exchange || c.barrier >= asked);
                if sent && arrived {
                    injected = asked;
                    barrier_in = true;
                    report.barriers += 1;
                    if shared.keeps_checkpoints {
                        out.snapshot = Some(positioned(asked, &sources, &ended_at));
                    }
                    op.on_barrier(asked, &mut out);
                    shared.cores[core].injected.store(asked, Ordering::Release);
                    if Op::PASSES_TIME {
                        // No stage decides time: the barrier went through.
                        out.barrier(asked);
                    }
                }
            }
            let sources_paused = asked > injected
                || shared.cores.iter().any(|c| {
                    c.injected.load(Ordering::Acquire) < injected
                        && !c.exited.load(Ordering::Acquire)
                });
            // The chain's exchanges first: what other cores sent, and what
            // this core staged for them. A held exchange (a batch staged
            // for a full ring) stops this pass from feeding the chain.
            let polled = op.poll(&mut out);
            if out.through > acked && out.failure.is_none() {
                acked = out.through;
                if let Err(e) = ack_checkpoint(core, shared, &mut out, acked) {
                    shared.fail(core, Cause::Checkpoint(e));
                    break;
                }
            }
            let mut work = polled.moved + usize::from(barrier_in);
            let mut watermarks_moved = false;
            // The core's sources hold its watermark back too.
            let sources_low = lowest_source(&sources);
            // What the core's sources align with: the slowest source whose
            // events reach this core, its own or another core's.
            let aligned_low = if sources.is_empty() || processing_time {
                None
            } else {
                let exchanged = inputs
                    .iter()
                    .filter(|c| c.exchange && !c.idle)
                    .map(|c| c.watermark)
                    .min();
                // And the other cores' streams into the chain's own
                // exchanges: their records meet this core's there.
                min_of(min_of(sources_low, exchanged), op.exchange_watermark())
            };
            let mut i = 0;
            // A held exchange, or one aligning a barrier, takes no input.
            let wait = polled.held || polled.aligning;
            while i < inputs.len() && !wait {
                let (before, rest) = inputs.split_at_mut(i);
                let Some((ch, after)) = rest.split_first_mut() else {
                    break;
                };
                let mut n = 0usize;
                let mut credits = 0usize;
                for msg in ch.rx.pop_batch(batch) {
                    n += 1;
                    credits += 1;
                    match msg {
                        Message::Event(e) => {
                            report.events_in += 1;
                            op.on_event(e, &mut out);
                        }
                        Message::Batch(mut events) => {
                            // One credit per event, not per message.
                            credits = credits - 1 + events.len();
                            feed(events.drain(..), op, &mut out, report);
                            let _ = ch.spare.push(events);
                        }
                        Message::Watermark(w) => {
                            report.watermarks += 1;
                            if w > ch.watermark {
                                ch.watermark = w;
                                // Applied here, in band: the events after it
                                // in this batch must see the new time.
                                if !processing_time
                                    && shared.cores[core].has_pending.load(Ordering::Acquire)
                                {
                                    // A channel opened before this watermark
                                    // was sent may still be pending; it holds
                                    // the watermark back too. Leave this one
                                    // to the end of the pass, which takes
                                    // pending channels in first (else its
                                    // events could arrive late).
                                    watermarks_moved = true;
                                } else if !processing_time {
                                    let others = lowest(before.iter().chain(after.iter()));
                                    let low = others.map_or(w, |o| o.min(w));
                                    let low = sources_low.map_or(low, |s| s.min(low));
                                    advance(&mut watermark, low, op, &mut out);
                                }
                            }
                        }
                        Message::Barrier(b) => {
                            report.barriers += 1;
                            ch.barrier = ch.barrier.max(b);
                        }
                        // Ingress channels end by their state; an in-band End
                        // is for core-to-core channels, and means the same.
                        Message::End => {}
                    }
                }
                if n < batch {
                    // Caught up with the ring: the handle's single submits
                    // waiting in its lane come next.
                    let taken = ch.take_lane();
                    if taken > 0 {
                        feed(ch.stolen.drain(..), op, &mut out, report);
                        work += taken;
                        report.from_lanes += taken as u64;
                    }
                }
                if n > 0 {
                    ch.shared.credits.release(credits);
                    report.batches += 1;
                    report.messages += n as u64;
                    work += n;
                    if idle_timeout.is_some() {
                        watermarks_moved |= ch.mark_active(Instant::now());
                    }
                } else if ch.is_finished() {
                    ch.retire();
                    inputs.swap_remove(i);
                    // A finished input no longer holds the watermark back.
                    watermarks_moved = true;
                    continue;
                }
                i += 1;
            }
            // The core's own sources, after its inputs: consuming those
            // first frees the rings that other cores' sources wait on.
            let mut stalled = polled.unsent;
            report.exchange_holds += u64::from(polled.held);
            let mut s = 0;
            while s < sources.len() && !wait {
                let src = &mut sources[s];
                // A source far ahead of the slowest one waits: its events
                // would only wait in open windows.
                let ahead = aligned_low.is_some_and(|low| src.watermark > low.saturating_add(skew));
                report.skew_waits += u64::from(ahead && !src.ended);
                let step = pump(
                    src,
                    ahead || sources_paused,
                    idle_timeout,
                    core,
                    cores,
                    batch,
                    &mut *route,
                    shared,
                    op,
                    &mut out,
                    report,
                );
                work += step.read;
                stalled |= step.stalled;
                report.exchange_stalls += u64::from(step.stalled);
                watermarks_moved |= step.watermark_moved;
                if step.done {
                    // Dropping the exchange closes its channels: the other
                    // cores see this source end.
                    let done = sources.swap_remove(s);
                    let mut at = Vec::new();
                    done.split.positions(&mut at);
                    ended_at.extend(at.into_iter().map(|p| (done.source, p)));
                    drop(done);
                    shared.sources_live.fetch_sub(1, Ordering::AcqRel);
                    watermarks_moved = true;
                    continue;
                }
                s += 1;
            }
            if let Some(timeout) = idle_timeout
                && work == 0
            {
                let now = Instant::now();
                for ch in &mut inputs {
                    watermarks_moved |= ch.mark_idle_after(now, timeout);
                }
            }
            if watermarks_moved {
                // Channels opened since the top of this pass hold the
                // watermark back too (at 0, until they send one), so take
                // them in before computing the minimum. Without this, a
                // handle created before another handle sent a watermark
                // could have its channel still pending while the core moved
                // to that watermark, and its events then arrived late.
                shared.take_pending(core, &mut inputs, &mut new_sources);
                sources.extend(new_sources.drain(..).map(SourceInput::new));
            }
            if watermarks_moved && !processing_time {
                // When every input is idle, the highest of their watermarks
                // passes on, as Flink's watermark valve does (and as an
                // exchange does here): each idle input gave up holding time
                // back, and without this a pipeline whose inputs all fell
                // silent would hold every window, and a join every row,
                // until they spoke again. Records an input sends later
                // below it are late, and counted.
                let low = min_of(lowest(inputs.iter()), lowest_source(&sources))
                    .or_else(|| highest_idle(&inputs, &sources));
                if let Some(low) = low {
                    advance(&mut watermark, low, op, &mut out);
                }
            }
            // Before the worker can idle: results wait unpublished only
            // while it works. (Its outboxes publish when it ends, too.)
            out.out.tick();
            out.late_out.tick();
            out.publish();
            if let Some(e) = out.failure.take() {
                shared.fail(core, Cause::State(e));
                break;
            }
            passes += 1;
            if passes >= crate::progress::EVERY {
                passes = 0;
                shared.cores[core].live.publish(
                    report.events_in,
                    out.emitted,
                    report.read,
                    watermark,
                );
                #[cfg(feature = "metrics")]
                {
                    let depth = inputs.iter_mut().map(|c| c.rx.len()).sum();
                    let ingress = shared.ingress_totals(core);
                    exchanged(op, report);
                    metrics.record(report, out.emitted, out.late, &ingress, depth, watermark);
                }
            }
            if work > 0 {
                spins = 0;
                continue;
            }
            if stalled {
                // A destination of this core's exchange is full: it frees
                // room as its core consumes, which takes microseconds, not
                // a park's milliseconds.
                std::thread::yield_now();
                continue;
            }
            if ended {
                // The chain's exchanges wait for every other core's end.
                if polled.done {
                    break;
                }
            } else if shared.closed.load(Ordering::Acquire)
                && inputs.is_empty()
                && sources.is_empty()
                && !shared.cores[core].has_pending.load(Ordering::Acquire)
            {
                ended = true;
                op.on_end(&mut out);
                out.publish();
                if let Some(e) = out.failure.take() {
                    shared.fail(core, Cause::State(e));
                    break;
                }
                continue;
            }
            if spins < SPINS_BEFORE_PARK {
                spins += 1;
                core::hint::spin_loop();
            } else {
                report.parks += 1;
                shared.cores[core]
                    .waker
                    .sleep_unless(crate::idle::PARK_TIMEOUT, || {
                        shared.is_failed()
                            // Closing matters only to a core that could
                            // end; one still waiting on other cores'
                            // sources would spin on it.
                            || (shared.closed.load(Ordering::Acquire)
                                && inputs.is_empty()
                                && !ended)
                            || op.has_input()
                            || shared.cores[core].has_pending.load(Ordering::Acquire)
                            || inputs
                                .iter_mut()
                                .any(|c| {
                                    !c.rx.is_empty() || !c.lane.is_empty() || c.shared.is_closed()
                                })
                            || out.out.can_flush()
                            || out.late_out.can_flush()
                    });
            }
        }
        // The chain ended: the run's last checkpoint takes what the sink
        // staged since the one before, and where the sources ended.
        if ended && !shared.is_failed() && shared.keeps_checkpoints {
            // Numbered once every core's sources are done and the
            // checkpoint thread has stopped.
            let mut last = shared.final_epoch.load(Ordering::Acquire);
            while last == 0 && !shared.is_failed() && !shared.is_cancelled() {
                // A checkpoint the thread asked for as the chain ended: the
                // thread can stop once it is through.
                let asked = shared.checkpoint_requested.load(Ordering::Acquire);
                if asked > injected {
                    injected = asked;
                    shared.cores[core].injected.store(asked, Ordering::Release);
                    acked = asked;
                    if let Err(e) =
                        through_ended(core, shared, &mut out, asked, &sources, &ended_at)
                    {
                        shared.fail(core, Cause::Checkpoint(e));
                        break;
                    }
                }
                shared.cores[core]
                    .waker
                    .sleep_unless(crate::idle::PARK_TIMEOUT, || {
                        shared.final_epoch.load(Ordering::Acquire) != 0
                            || shared.checkpoint_requested.load(Ordering::Acquire) > injected
                            || shared.is_failed()
                            || shared.is_cancelled()
                    });
                last = shared.final_epoch.load(Ordering::Acquire);
            }
            if last > acked
                && let Err(e) = through_ended(core, shared, &mut out, last, &sources, &ended_at)
            {
                shared.fail(core, Cause::Checkpoint(e));
            }
        }
        if let Some(e) = out.sink_failure.take() {
            shared.fail(core, Cause::Checkpoint(e.into()));
        }
        exchanged(op, report);
        #[cfg(feature = "metrics")]
        metrics.record(
            report,
            out.emitted,
            out.late,
            &shared.ingress_totals(core),
            0,
            watermark,
        );
        shared.cores[core]
            .live
            .publish(report.events_in, out.emitted, report.read, watermark);
        report.events_out = out.emitted;
        report.late = out.late;
        report.partly_late = out.partly_late;
        report.late_not_kept = out.late_not_kept;
        report.outputs_lost = out.lost;
    }
}

/// A snapshot of checkpoint `epoch` holding where the core's sources
/// stand: the live ones and those that ended.
fn positioned<T: 'static>(
    epoch: u64,
    sources: &[SourceInput<T>],
    ended: &[(u32, Position)],
) -> crate::checkpoint::Snapshot {
    let mut snap = crate::checkpoint::Snapshot::new(epoch);
    let mut at = Vec::new();
    for src in sources {
        at.clear();
        src.split.positions(&mut at);
        for p in &at {
            snap.position(src.source, *p);
        }
    }
    for (source, p) in ended {
        snap.position(*source, *p);
    }
    snap
}

/// Checkpoint `epoch` for a core whose chain has ended: everything has
/// gone through, so the barrier has nothing to follow; the snapshot holds
/// where the sources ended, and the sink pre-commits what it staged.
fn through_ended<O: 'static, T: 'static>(
    core: usize,
    shared: &Shared<T>,
    out: &mut OutboxEmit<'_, O, T>,
    epoch: u64,
    sources: &[SourceInput<T>],
    ended: &[(u32, Position)],
) -> Result<(), crate::CheckpointError> {
    out.snapshot = Some(positioned(epoch, sources, ended));
    out.barrier(epoch);
    ack_checkpoint(core, shared, out, epoch)
}

/// The core's chain is through checkpoint `epoch`: its snapshot is made
/// durable, its sink pre-commits, and the core reports both.
fn ack_checkpoint<O: 'static, T: 'static>(
    core: usize,
    shared: &Shared<T>,
    out: &mut OutboxEmit<'_, O, T>,
    epoch: u64,
) -> Result<(), crate::CheckpointError> {
    // The sink's transaction, prepared as the barrier left the chain. It
    // goes into the report whatever happens next, so that a checkpoint
    // that fails rolls it back.
    let prepared = match out.prepared.take() {
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => return Err(e.into()),
        None => None,
    };
    if prepared.is_some() {
        crate::failpoint::failpoint("checkpoint.pre_committed");
    }
    let mut ack = crate::checkpoint::CoreAck {
        epoch,
        file: None,
        prepared,
    };
    let mut result = Ok(());
    if let Some(snap) = out.snapshot.take()
        && let Some(dir) = &shared.checkpoint_dir
    {
        match dir.write_snapshot(epoch, core, &snap.finish()) {
            Ok(file) => {
                ack.file = Some(file);
                crate::failpoint::failpoint("checkpoint.snapshot_written");
            }
            Err(e) => result = Err(e.into()),
        }
    }
    if result.is_ok()
        && let Some(e) = out.sink_failure.take()
    {
        result = Err(e.into());
    }
    *shared.cores[core]
        .ack
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(ack);
    if result.is_ok() {
        shared.cores[core].through_checkpoint(epoch);
    }
    result
}

/// What one turn of a source did.
struct Step {
    read: usize,
    stalled: bool,
    watermark_moved: bool,
    done: bool,
}

/// Reads one batch from `src` (unless its exchange still holds events, or
/// it is `ahead` of the slowest source by more than the allowed skew),
/// processes the events that stay on this core, stages the others, sends
/// what it can, and moves the source's watermark.
#[allow(clippy::too_many_arguments)]
#[inline]
fn pump<Op: Operator, R: Route<Op::In>, E: Emit<Op::Out>>(
    src: &mut SourceInput<Op::In>,
    ahead: bool,
    idle_timeout: Option<Duration>,
    core: usize,
    cores: usize,
    batch: usize,
    route: &mut R,
    shared: &Shared<Op::In>,
    op: &mut Op,
    out: &mut E,
    report: &mut CoreReport,
) -> Step
where
    Op::In: Send + 'static,
{
    let mut step = Step {
        read: 0,
        stalled: false,
        watermark_moved: false,
        done: false,
    };
    let wake = |core: usize| shared.cores[core].waker.notify();
    // Staged events go before any new read: a full destination stops the
    // reading, not the core.
    if let Some(x) = &mut src.exchange
        && !x.flush(wake, &mut report.sent)
    {
        step.stalled = true;
        return step;
    }
    if !src.ended && !ahead {
        src.buf.clear();
        let status = src.split.read(&mut src.buf, batch);
        let n = src.buf.len();
        step.read = n;
        report.read += n as u64;
        // Counted per event, as the inputs' events are: a panic in the
        // chain leaves the count exact.
        match &mut src.exchange {
            None => {
                let max_ts = &mut src.max_ts;
                let timed = src.buf.drain(..).inspect(|e| {
                    if let Some(ts) = route.timestamp(e) {
                        *max_ts = Some(max_ts.map_or(ts, |m| m.max(ts)));
                    }
                });
                feed(timed, op, out, report);
            }
            Some(x) => {
                for e in src.buf.drain(..) {
                    if let Some(ts) = route.timestamp(&e) {
                        src.max_ts = Some(src.max_ts.map_or(ts, |m| m.max(ts)));
                    }
                    let to = route.core_of(&e, cores);
                    if to == core {
                        report.events_in += 1;
                        op.on_event(e, out);
                    } else {
                        x.stage(to, e);
                    }
                }
            }
        }
        if status == Read::End {
            src.ended = true;
            step.watermark_moved = true;
        }
        // A split with nothing for longer than the idle timeout stops
        // holding the watermark back, as a silent input does; its next
        // event makes it count again.
        if n > 0 {
            src.idle_since = None;
            if src.idle {
                src.idle = false;
                step.watermark_moved = true;
            }
        } else if status == Read::Idle
            && let Some(timeout) = idle_timeout
            && !src.idle
        {
            let since = *src.idle_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= timeout {
                src.idle = true;
                step.watermark_moved = true;
            }
        }
        if let Some(x) = &mut src.exchange
            && !x.flush(wake, &mut report.sent)
        {
            step.stalled = true;
        }
    }
    if let Some(max) = src.max_ts {
        let wm = max.saturating_sub(route.out_of_orderness());
        if wm > src.watermark {
            src.watermark = wm;
            step.watermark_moved = true;
        }
    }
    if let Some(x) = &mut src.exchange
        && !x.send_watermark(src.watermark, wake)
    {
        step.stalled = true;
    }
    step.done = src.ended && !step.stalled;
    step
}

/// Copies what the chain's exchanges moved into the report.
fn exchanged<Op: Operator>(op: &Op, report: &mut CoreReport) {
    let mut moved = crate::operator::ExchangeCounts::default();
    op.exchange_counts(&mut moved);
    report.shuffled_out = moved.sent;
    report.shuffled_in = moved.received;
}

/// The lowest watermark among the core's sources that still count: not
/// ended, not idle.
fn lowest_source<T>(sources: &[SourceInput<T>]) -> Option<Timestamp> {
    sources
        .iter()
        .filter(|s| !s.ended && !s.idle)
        .map(|s| s.watermark)
        .min()
}

/// Hands `events` to the operator one by one, counting each as it goes
/// (so that a panic in the chain leaves the count exact).
#[inline]
fn feed<Op: Operator, E: Emit<Op::Out>>(
    events: impl Iterator<Item = Op::In>,
    op: &mut Op,
    out: &mut E,
    report: &mut CoreReport,
) {
    for e in events {
        report.events_in += 1;
        op.on_event(e, out);
    }
}

/// The highest watermark among idle inputs and sources: the time once
/// every one of them is idle.
fn highest_idle<T, S>(inputs: &[Receiver<T>], sources: &[SourceInput<S>]) -> Option<Timestamp> {
    let inputs = inputs.iter().filter(|c| c.idle).map(|c| c.watermark);
    let sources = sources
        .iter()
        .filter(|s| !s.ended && s.idle)
        .map(|s| s.watermark);
    inputs.chain(sources).max()
}

/// The lowest watermark among inputs that are not idle.
fn lowest<'a, T: 'a>(inputs: impl Iterator<Item = &'a Receiver<T>>) -> Option<Timestamp> {
    inputs.filter(|c| !c.idle).map(|c| c.watermark).min()
}

/// Moves the core's watermark to `to` if that is later, and tells the
/// operator.
#[inline]
fn advance<Op: Operator, E: Emit<Op::Out>>(
    watermark: &mut Timestamp,
    to: Timestamp,
    op: &mut Op,
    out: &mut E,
) {
    if to > *watermark {
        *watermark = to;
        op.on_watermark(to, out);
    }
}
