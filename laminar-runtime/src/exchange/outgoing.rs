//! A core's sending side of an exchange (a source's, or a `key_by`'s in
//! mid-pipeline): one channel to every other core,
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

/// One core's channels to the other cores, and what waits for each.
pub(crate) struct Outgoing<T> {
    /// Per destination core; `None` for the sending core itself.
    senders: Vec<Option<Sender<T>>>,
    /// Per destination core, events in the order they were staged.
    staged: Vec<Vec<T>>,
    /// Per destination core, the last watermark it got.
    watermarks: Vec<Timestamp>,
    /// Per destination core, whether it got this core's end.
    ended: Vec<bool>,
    /// Per destination core, the last checkpoint barrier it got.
    barriers: Vec<u64>,
}

impl<T: Send + 'static> Outgoing<T> {
    pub(crate) fn new(senders: Vec<Option<Sender<T>>>) -> Self {
        Outgoing {
            staged: senders.iter().map(|_| Vec::new()).collect(),
            watermarks: senders.iter().map(|_| 0).collect(),
            ended: senders.iter().map(|_| false).collect(),
            barriers: senders.iter().map(|_| 0).collect(),
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
    pub(crate) fn flush(&mut self, wake: impl Fn(usize), sent: &mut u64) -> bool {
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
                wake(core);
            }
            clear &= staged.is_empty();
        }
        clear
    }

    /// Events staged for `core` and not yet sent.
    #[inline]
    pub(crate) fn staged(&self, core: usize) -> usize {
        self.staged[core].len()
    }

    /// Sends the end of this core's stream to every other core that has
    /// nothing staged and has its last watermark (the end follows them).
    /// True when every core has it.
    pub(crate) fn send_end(&mut self, watermark: Timestamp, wake: impl Fn(usize)) -> bool {
        let mut all = true;
        let destinations = self
            .senders
            .iter_mut()
            .zip(&self.staged)
            .zip(&self.watermarks)
            .zip(&mut self.ended);
        for (core, (((tx, staged), sent), ended)) in destinations.enumerate() {
            let Some(tx) = tx else { continue };
            if *ended {
                continue;
            }
            if staged.is_empty() && *sent >= watermark && tx.try_reserve(1) {
                tx.push_reserved(Message::End, 0);
                tx.publish();
                wake(core);
                *ended = true;
            } else {
                all = false;
            }
        }
        all
    }

    /// Sends `watermark` to every other core that has nothing staged for
    /// it (a watermark follows the events it covers). True when every core
    /// has it; else try again later. A destination whose ring is full does
    /// not hold the watermark back from the others: each core's alignment
    /// and windows follow it as soon as their own channel is clear.
    pub(crate) fn send_watermark(&mut self, watermark: Timestamp, wake: impl Fn(usize)) -> bool {
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
                wake(core);
                *sent = watermark;
            } else {
                all = false;
            }
        }
        all
    }

    /// Sends checkpoint barrier `epoch` to every other core that has
    /// nothing staged for it (a barrier follows the events before it), as
    /// [`send_watermark`](Self::send_watermark) does. True when every core
    /// has it; else try again later.
    pub(crate) fn send_barrier(&mut self, epoch: u64, wake: impl Fn(usize)) -> bool {
        let mut all = true;
        let destinations = self
            .senders
            .iter_mut()
            .zip(&self.staged)
            .zip(&mut self.barriers)
            .zip(&self.ended);
        for (core, (((tx, staged), sent), ended)) in destinations.enumerate() {
            let Some(tx) = tx else { continue };
            if epoch <= *sent || *ended {
                continue;
            }
            if staged.is_empty() && tx.try_reserve(1) {
                tx.push_reserved(Message::Barrier(epoch), 0);
                tx.publish();
                wake(core);
                *sent = epoch;
            } else {
                all = false;
            }
        }
        all
    }
}
