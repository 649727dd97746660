//! A core's sending side of an exchange: one channel to every other core,
//! with the events bound for each staged until they go out as one batch.
//!
//! A core never waits on an exchange. When a destination has no credit
//! (its ring is full) or has not yet returned a batch vector, the events
//! stay staged, the sender reports that it is not clear, and the worker
//! stops reading what feeds the exchange until it is. Meanwhile it keeps
//! consuming its own inputs. That is what keeps exchanges free of
//! deadlock: a ring empties as long as its receiving core runs its loop,
//! and no core's loop waits on a ring it sends to (the argument is in
//! `docs/DESIGN-NOTES.md`).

use crate::channel::Sender;
use crate::message::{Message, Timestamp};
use crate::shared::Shared;

/// One core's channels to the other cores, and what waits for each.
pub(crate) struct Exchange<T> {
    /// Per destination core; `None` for the sending core itself.
    senders: Vec<Option<Sender<T>>>,
    /// Per destination core, events in the order they were staged.
    staged: Vec<Vec<T>>,
    /// Per destination core, the last watermark it got.
    watermarks: Vec<Timestamp>,
}

impl<T: Send + 'static> Exchange<T> {
    pub(crate) fn new(senders: Vec<Option<Sender<T>>>) -> Self {
        Exchange {
            staged: senders.iter().map(|_| Vec::new()).collect(),
            watermarks: senders.iter().map(|_| 0).collect(),
            senders,
        }
    }

    /// Queues `event` for `core`; [`flush`](Self::flush) sends it.
    #[inline]
    pub(crate) fn stage(&mut self, core: usize, event: T) {
        self.staged[core].push(event);
    }

    /// Sends what is staged, as far as credit and batch vectors allow, and
    /// wakes each core it sent to. True when nothing is left staged. Adds
    /// the events it sent to `sent` as it goes, so that the count holds
    /// even if the core fails later.
    pub(crate) fn flush(&mut self, shared: &Shared<T>, sent: &mut u64) -> bool {
        let mut clear = true;
        for (core, (tx, staged)) in self.senders.iter_mut().zip(&mut self.staged).enumerate() {
            let Some(tx) = tx else { continue };
            let mut pushed = false;
            while !staged.is_empty() {
                let n = staged.len().min(tx.batch_max);
                if !tx.try_reserve(n) {
                    break;
                }
                let Some(mut batch) = tx.try_batch_vec() else {
                    break;
                };
                if n == staged.len() {
                    // All of it fits one batch (the usual case: a read is
                    // at most a batch): the staged vector itself crosses,
                    // and the empty one takes its place, so the events are
                    // not copied again. The vectors keep circulating.
                    core::mem::swap(&mut batch, staged);
                } else {
                    batch.extend(staged.drain(..n));
                }
                tx.push_reserved(Message::Batch(batch), n);
                *sent += n as u64;
                pushed = true;
            }
            if pushed {
                tx.publish();
                shared.cores[core].waker.notify();
            }
            clear &= staged.is_empty();
        }
        clear
    }

    /// Sends `watermark` to every other core that has nothing staged for
    /// it (a watermark follows the events it covers). True when every core
    /// has it; else try again later. A destination whose ring is full does
    /// not hold the watermark back from the others: each core's alignment
    /// and windows follow it as soon as their own channel is clear.
    pub(crate) fn send_watermark(&mut self, watermark: Timestamp, shared: &Shared<T>) -> bool {
        let mut all = true;
        let destinations = self
            .senders
            .iter_mut()
            .zip(&self.staged)
            .zip(&mut self.watermarks);
        for (core, ((tx, staged), sent)) in destinations.enumerate() {
            let Some(tx) = tx else { continue };
            if watermark <= *sent {
                continue;
            }
            if staged.is_empty() && tx.try_reserve(1) {
                tx.push_reserved(Message::Watermark(watermark), 0);
                tx.publish();
                shared.cores[core].waker.notify();
                *sent = watermark;
            } else {
                all = false;
            }
        }
        all
    }
}
