//! Per-core outboxes: a worker writes results into its own SPSC ring, and the
//! user drains every core's ring into a buffer the user owns. Nothing is
//! allocated per event on either side.

use core::any::Any;

use crossbeam_utils::Backoff;

use crate::operator::Emit;
use crate::shared::Shared;
use crate::spsc::Producer;

/// The [`Emit`] a worker hands its operator: pushes results to the core's
/// outbox and late events to its late outbox, waiting while the user has
/// not drained them.
pub(crate) struct OutboxEmit<'a, O, T> {
    pub(crate) tx: &'a mut Producer<O>,
    pub(crate) late_tx: &'a mut Producer<T>,
    pub(crate) shared: &'a Shared<T>,
    pub(crate) emitted: u64,
    pub(crate) late: u64,
    /// Events that missed some of their windows, also in the late outbox.
    pub(crate) partly_late: u64,
    /// Items discarded because the runtime failed while an outbox was full.
    pub(crate) lost: u64,
    /// The first failure a stage reported.
    pub(crate) failure: Option<crate::state::StateError>,
}

/// Results between two publications of the outbox within one pass of the
/// worker, so that a long pass (or an operator emitting many results per
/// event) hands results over as it goes; with 2 cores this measured better
/// than publishing only at the end of each pass (BENCHMARKS.md).
const PUBLISH_EVERY: u64 = 64;

/// Pushes `item` unpublished (see [`PUBLISH_EVERY`] and
/// [`OutboxEmit::publish`]), waiting for room; false if the runtime failed
/// first.
#[inline]
fn push_waiting<X, T>(tx: &mut Producer<X>, item: X, shared: &Shared<T>) -> bool {
    let mut item = match tx.push_unpublished(item) {
        Ok(()) => return true,
        Err(full) => full.0,
    };
    // The user drains only what is published.
    tx.publish();
    let backoff = Backoff::new();
    loop {
        if shared.is_failed() {
            return false;
        }
        if backoff.is_completed() {
            std::thread::park_timeout(std::time::Duration::from_micros(100));
        } else {
            backoff.snooze();
        }
        match tx.push_unpublished(item) {
            Ok(()) => return true,
            Err(full) => item = full.0,
        }
    }
}

impl<O, T> OutboxEmit<'_, O, T> {
    /// Makes what was emitted visible to the user's drain. The worker calls
    /// it at the end of every pass, before it can idle; with
    /// [`PUBLISH_EVERY`] that is one store to the shared index per 64
    /// results or per pass, rather than one per result.
    #[inline]
    pub(crate) fn publish(&mut self) {
        self.tx.publish();
        self.late_tx.publish();
    }
}

impl<O, T: 'static> OutboxEmit<'_, O, T> {
    /// Pushes an event to the late outbox; false (counted as lost) if it is
    /// not of the pipeline's input type or the runtime failed first.
    fn push_late<L: 'static>(&mut self, late: L) -> bool {
        // Late events are the pipeline's own input events; the type check
        // is a constant after monomorphization.
        let mut slot = Some(late);
        let Some(event) = (&mut slot as &mut dyn Any)
            .downcast_mut::<Option<T>>()
            .and_then(Option::take)
        else {
            self.lost += 1;
            return false;
        };
        if push_waiting(self.late_tx, event, self.shared) {
            true
        } else {
            self.lost += 1;
            false
        }
    }
}

impl<O, T: 'static> Emit<O> for OutboxEmit<'_, O, T> {
    #[inline]
    fn emit(&mut self, item: O) {
        if push_waiting(self.tx, item, self.shared) {
            self.emitted += 1;
            if self.emitted.is_multiple_of(PUBLISH_EVERY) {
                self.tx.publish();
            }
        } else {
            self.lost += 1;
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
}
