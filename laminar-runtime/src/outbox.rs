//! Per-core outboxes: a worker writes results into its own SPSC ring, and the
//! user drains every core's ring into a buffer the user owns. Nothing is
//! allocated per event on either side.

use crossbeam_utils::Backoff;

use crate::operator::Emit;
use crate::shared::Shared;
use crate::spsc::Producer;

/// The [`Emit`] a worker hands its operator: pushes to the core's outbox,
/// waiting while the user has not drained it.
pub(crate) struct OutboxEmit<'a, O, T> {
    pub(crate) tx: &'a mut Producer<O>,
    pub(crate) shared: &'a Shared<T>,
    pub(crate) emitted: u64,
    /// Results discarded because the runtime failed while the outbox was full.
    pub(crate) lost: u64,
}

impl<O, T> Emit<O> for OutboxEmit<'_, O, T> {
    #[inline]
    fn emit(&mut self, item: O) {
        let mut item = match self.tx.push(item) {
            Ok(()) => {
                self.emitted += 1;
                return;
            }
            Err(full) => full.0,
        };
        let backoff = Backoff::new();
        loop {
            if self.shared.is_failed() {
                self.lost += 1;
                return;
            }
            if backoff.is_completed() {
                std::thread::park_timeout(std::time::Duration::from_micros(100));
            } else {
                backoff.snooze();
            }
            match self.tx.push(item) {
                Ok(()) => {
                    self.emitted += 1;
                    return;
                }
                Err(full) => item = full.0,
            }
        }
    }
}
