//! One worker thread per core: owns its operator instance, pops its inboxes
//! in batches, runs the operator, writes to its outbox, and idles without
//! burning the core.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::channel::Receiver;
use crate::idle::SPINS_BEFORE_PARK;
use crate::message::{Message, Timestamp};
use crate::operator::Operator;
use crate::outbox::OutboxEmit;
use crate::report::{CoreReport, Pinning};
use crate::shared::Shared;
use crate::spsc::Producer;
use crate::sync::{Arc, Ordering};

/// Everything a worker thread takes with it.
pub(crate) struct Worker<Op: Operator> {
    pub(crate) core: usize,
    pub(crate) op: Op,
    pub(crate) outbox: Producer<Op::Out>,
    pub(crate) shared: Arc<Shared<Op::In>>,
    /// `Some(cpu)` to pin; `Some(None)` when pinning was asked for but no CPU
    /// list is available.
    pub(crate) pin: Option<Option<core_affinity::CoreId>>,
}

impl<Op: Operator> Worker<Op>
where
    Op::In: Send + 'static,
{
    pub(crate) fn run(mut self) -> CoreReport {
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
        let outcome = catch_unwind(AssertUnwindSafe(|| self.work(&mut report)));
        if let Err(payload) = outcome {
            let message = if let Some(s) = payload.downcast_ref::<&str>() {
                (*s).to_owned()
            } else if let Some(s) = payload.downcast_ref::<String>() {
                s.clone()
            } else {
                "a panic with a non-string payload".to_owned()
            };
            shared.fail(self.core, message);
        }
        report
    }

    fn work(&mut self, report: &mut CoreReport) {
        let core = self.core;
        let shared = &*self.shared;
        let batch = shared.config.batch_size.max(1);
        let op = &mut self.op;
        let mut out = OutboxEmit {
            tx: &mut self.outbox,
            shared,
            emitted: 0,
            lost: 0,
        };
        let mut inputs: Vec<Receiver<Op::In>> = Vec::new();
        let mut watermark: Timestamp = 0;
        let mut spins = 0u32;
        loop {
            if shared.is_failed() {
                break;
            }
            shared.take_pending(core, &mut inputs);
            let mut work = 0usize;
            let mut watermarks_moved = false;
            let mut i = 0;
            while i < inputs.len() {
                let ch = &mut inputs[i];
                let mut n = 0usize;
                for msg in ch.rx.pop_batch(batch) {
                    n += 1;
                    match msg {
                        Message::Event(e) => {
                            report.events_in += 1;
                            op.on_event(e, &mut out);
                        }
                        Message::Watermark(w) => {
                            report.watermarks += 1;
                            if w > ch.watermark {
                                ch.watermark = w;
                                watermarks_moved = true;
                            }
                        }
                        Message::Barrier(_) => report.barriers += 1,
                        // Ingress channels end by their state; an in-band End
                        // is for core-to-core channels, and means the same.
                        Message::End => {}
                    }
                }
                if n > 0 {
                    ch.shared.credits.release(n);
                    report.batches += 1;
                    work += n;
                } else if ch.is_finished() {
                    ch.retire();
                    inputs.swap_remove(i);
                    // A finished input no longer holds the watermark back.
                    watermarks_moved = true;
                    continue;
                }
                i += 1;
            }
            if watermarks_moved && !inputs.is_empty() {
                let low = inputs.iter().map(|c| c.watermark).min().unwrap_or(0);
                if low > watermark {
                    watermark = low;
                    op.on_watermark(watermark, &mut out);
                }
            }
            if work > 0 {
                spins = 0;
                continue;
            }
            if shared.closed.load(Ordering::Acquire)
                && inputs.is_empty()
                && !shared.cores[core].has_pending.load(Ordering::Acquire)
            {
                op.on_end(&mut out);
                break;
            }
            if spins < SPINS_BEFORE_PARK {
                spins += 1;
                core::hint::spin_loop();
            } else {
                report.parks += 1;
                shared.cores[core].waker.sleep_unless(|| {
                    shared.is_failed()
                        || shared.closed.load(Ordering::Acquire)
                        || shared.cores[core].has_pending.load(Ordering::Acquire)
                        || inputs
                            .iter_mut()
                            .any(|c| !c.rx.is_empty() || c.shared.is_closed())
                });
            }
        }
        report.events_out = out.emitted;
        report.outputs_lost = out.lost;
    }
}
