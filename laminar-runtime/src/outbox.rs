//! Per-core outboxes: a worker writes results into its own SPSC ring, read
//! by the runtime's drain or by an output handle (`output.rs`). What a full
//! ring does depends on the output's mode: collect the overflow, wait for
//! the reader, or discard and count. Nothing is allocated per event while
//! the reader keeps up.

use core::any::Any;
use std::collections::VecDeque;

use crossbeam_utils::Backoff;

use crate::output::{COLLECT, DETACHED, OutputShared};
use crate::shared::Shared;
use crate::spsc::Producer;
use crate::sync::{Arc, Ordering};

/// Results between two publications of the outbox within one pass of the
/// worker, so that a long pass (or an operator emitting many results per
/// event) hands results over as it goes; with 2 cores this measured better
/// than publishing only at the end of each pass (docs/benchmarks-journal.md,
/// "Runtime: batch publication").
const PUBLISH_EVERY: u64 = 64;

/// One core's end of one output.
pub(crate) struct OutSink<X> {
    core: usize,
    tx: Producer<X>,
    /// Overflow while the output collects: newer than everything in the
    /// ring, so it goes in behind it.
    spill: VecDeque<X>,
    shared: Arc<OutputShared<X>>,
    /// Discarded because the output was detached.
    pub(crate) discarded: u64,
    /// The output's drain count when this sink last waited for room.
    reads_seen: u64,
}

/// What became of an item handed to a sink.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sent {
    /// In the ring or the overflow: the reader gets it.
    Kept,
    /// The output was detached: discarded and counted.
    Discarded,
    /// The runtime failed while the sink waited for the reader.
    Lost,
}

impl<X> OutSink<X> {
    pub(crate) fn new(core: usize, tx: Producer<X>, shared: Arc<OutputShared<X>>) -> Self {
        OutSink {
            core,
            tx,
            spill: VecDeque::new(),
            shared,
            discarded: 0,
            reads_seen: 0,
        }
    }

    #[inline]
    fn push<T>(&mut self, item: X, runtime: &Shared<T>) -> Sent {
        if self.spill.is_empty() {
            match self.tx.push_unpublished(item) {
                Ok(()) => Sent::Kept,
                Err(full) => self.push_slow(full.0, runtime),
            }
        } else {
            self.push_slow(item, runtime)
        }
    }

    /// Moves the overflow into the ring as far as it has room.
    fn flush_spill(&mut self) {
        while let Some(x) = self.spill.pop_front() {
            if let Err(full) = self.tx.push_unpublished(x) {
                self.spill.push_front(full.0);
                break;
            }
        }
    }

    #[cold]
    fn push_slow<T>(&mut self, item: X, runtime: &Shared<T>) -> Sent {
        let mut item = item;
        loop {
            self.flush_spill();
            let mode = self.shared.mode.load(Ordering::Acquire);
            if mode == DETACHED {
                self.discard_spill();
                self.discarded += 1;
                return Sent::Discarded;
            }
            if self.spill.is_empty() {
                match self.tx.push_unpublished(item) {
                    Ok(()) => return Sent::Kept,
                    Err(full) => item = full.0,
                }
            }
            if mode == COLLECT {
                // Someone drained this output since the ring was last full:
                // wait for them as a handle's reader would be waited for,
                // rather than copy results into the overflow and out again.
                // Only an output nobody reads (the collect-at-the-end
                // pattern) spills, after at most one wait.
                let reads = self.shared.reads.load(Ordering::Relaxed);
                if !self.spill.is_empty() || reads == self.reads_seen {
                    self.spill.push_back(item);
                    return Sent::Kept;
                }
                self.reads_seen = reads;
            }
            if !self.wait_for_room(runtime, mode) {
                return Sent::Lost;
            }
        }
    }

    /// Registers the worker's thread to be woken when the reader makes room.
    pub(crate) fn register_current(&self) {
        self.shared.room[self.core].register_current();
    }

    /// Moves overflow into the ring if the reader made room; the worker
    /// calls it once per pass.
    #[inline]
    pub(crate) fn tick(&mut self) {
        if !self.spill.is_empty() {
            self.flush_spill();
            if self.shared.mode.load(Ordering::Acquire) == DETACHED {
                self.discard_spill();
            }
        }
    }

    /// Overflow is waiting and the ring has room for some of it: a worker
    /// with nothing else to do should not park.
    pub(crate) fn can_flush(&mut self) -> bool {
        !self.spill.is_empty() && self.tx.slots() > 0
    }

    fn discard_spill(&mut self) {
        self.discarded += self.spill.len() as u64;
        self.spill.clear();
        self.spill.shrink_to_fit();
    }

    /// Waits until the reader frees a slot or the mode is no longer `mode`:
    /// spins briefly (a reader that is running frees room within
    /// microseconds), then parks at most once; false if the runtime failed
    /// first.
    fn wait_for_room<T>(&mut self, runtime: &Shared<T>, mode: u8) -> bool {
        // The reader reads only what is published.
        self.publish();
        let backoff = Backoff::new();
        loop {
            if runtime.is_failed() {
                return false;
            }
            if self.shared.mode.load(Ordering::Acquire) != mode || self.tx.slots() > 0 {
                return true;
            }
            if backoff.is_completed() {
                break;
            }
            backoff.snooze();
        }
        let tx = &mut self.tx;
        let shared = &self.shared;
        shared.room[self.core].sleep_unless(crate::idle::PARK_TIMEOUT, || {
            runtime.is_failed() || shared.mode.load(Ordering::Acquire) != mode || tx.slots() > 0
        });
        !runtime.is_failed()
    }

    /// Makes what was pushed visible to the reader, and wakes it if it
    /// sleeps.
    #[inline]
    pub(crate) fn publish(&mut self) {
        if self.tx.publish() {
            self.shared.reader.notify();
        }
    }

    /// The worker is done: everything goes to the reader (waiting for it
    /// if it holds a handle), or is discarded if the output is detached.
    /// Returns the overflow of a collecting output, for `finish_into`.
    /// Items lost to a failure are counted in `lost`.
    pub(crate) fn close<T>(&mut self, runtime: &Shared<T>, lost: &mut u64) -> VecDeque<X> {
        loop {
            self.flush_spill();
            if self.spill.is_empty() {
                break;
            }
            match self.shared.mode.load(Ordering::Acquire) {
                COLLECT => break,
                DETACHED => {
                    self.discard_spill();
                    break;
                }
                _ => {
                    if !self.wait_for_room(runtime, crate::output::HANDLE) {
                        *lost += self.spill.len() as u64;
                        self.spill.clear();
                        break;
                    }
                }
            }
        }
        self.publish();
        self.shared.end_one();
        std::mem::take(&mut self.spill)
    }
}

/// The [`Emit`](crate::Emit) a worker hands its operator: pushes results to
/// the core's outbox and late events to its late outbox.
pub(crate) struct OutboxEmit<'a, O, T> {
    pub(crate) out: &'a mut OutSink<O>,
    pub(crate) late_out: &'a mut OutSink<T>,
    pub(crate) shared: &'a Shared<T>,
    pub(crate) emitted: u64,
    pub(crate) late: u64,
    /// Events that missed some of their windows, also in the late outbox.
    pub(crate) partly_late: u64,
    /// Late records that are not of the pipeline's input type (a window
    /// after a stage that changed the records): counted, not kept.
    pub(crate) late_not_kept: u64,
    /// Items discarded because the runtime failed while an outbox was full.
    pub(crate) lost: u64,
    /// The first failure a stage reported.
    pub(crate) failure: Option<crate::state::StateError>,
    /// The last checkpoint barrier that came out of the chain.
    pub(crate) through: u64,
    /// Where results go instead of the outbox, when the run has a sink.
    pub(crate) sink: Option<Box<dyn crate::sink::SinkWriter<O>>>,
    /// The first error the sink gave.
    pub(crate) sink_failure: Option<crate::sink::SinkError>,
    /// The snapshot of the checkpoint under way, while its barrier is
    /// between the chain's head and its end.
    pub(crate) snapshot: Option<crate::checkpoint::Snapshot>,
    /// The sink's pre-commit at the last barrier out of the chain: taken
    /// the moment the barrier comes out, so that no result after it (a
    /// window the same poll fires) joins the checkpoint's transaction.
    pub(crate) prepared: Option<Result<crate::sink::Prepared, crate::sink::SinkError>>,
}

impl<O, T> OutboxEmit<'_, O, T> {
    /// Makes what was emitted visible to the reader. The worker calls it at
    /// the end of every pass, before it can idle; with [`PUBLISH_EVERY`]
    /// that is one store to the shared index per 64 results or per pass,
    /// rather than one per result.
    #[inline]
    pub(crate) fn publish(&mut self) {
        self.out.publish();
        self.late_out.publish();
    }
}

impl<O, T: 'static> OutboxEmit<'_, O, T> {
    /// Pushes an event to the late outbox, or counts it where it cannot
    /// go: false if it was lost (the run failed with the outbox full).
    fn push_late<L: 'static>(&mut self, late: L) -> bool {
        // Late events are the pipeline's own input events, unless a stage
        // before the window changed the records; the type check is a
        // constant after monomorphization.
        let mut slot = Some(late);
        let Some(event) = (&mut slot as &mut dyn Any)
            .downcast_mut::<Option<T>>()
            .and_then(Option::take)
        else {
            // The late output carries the input type: a record of another
            // type is counted late, and apart, never dropped unseen.
            self.late_not_kept += 1;
            return true;
        };
        match self.late_out.push(event, self.shared) {
            Sent::Kept => true,
            // Counted by the sink as unread: the user let the output go.
            Sent::Discarded => true,
            Sent::Lost => {
                self.lost += 1;
                false
            }
        }
    }
}

impl<O: 'static, T: 'static> crate::operator::Emit<O> for OutboxEmit<'_, O, T> {
    #[inline]
    fn emit(&mut self, item: O) {
        if let Some(sink) = &mut self.sink {
            self.emitted += 1;
            if let Err(e) = sink.write(item) {
                self.sink_failure.get_or_insert(e);
            }
            return;
        }
        match self.out.push(item, self.shared) {
            Sent::Kept | Sent::Discarded => {
                self.emitted += 1;
                if self.emitted.is_multiple_of(PUBLISH_EVERY) {
                    self.out.publish();
                }
            }
            Sent::Lost => self.lost += 1,
        }
    }

    fn emit_late<L: 'static>(&mut self, late: L) {
        if self.push_late(late) {
            self.late += 1;
        }
    }

    fn emit_partly_late<L: 'static>(&mut self, event: L) {
        if self.push_late(event) {
            self.partly_late += 1;
        }
    }

    fn fail(&mut self, error: crate::state::StateError) {
        self.failure.get_or_insert(error);
    }

    fn barrier(&mut self, epoch: u64) {
        if epoch <= self.through {
            return;
        }
        self.through = epoch;
        if let Some(sink) = &mut self.sink {
            self.prepared = Some(sink.pre_commit(epoch));
        }
    }

    fn checkpoint(&mut self) -> Option<&mut crate::checkpoint::Snapshot> {
        self.snapshot.as_mut()
    }
}
