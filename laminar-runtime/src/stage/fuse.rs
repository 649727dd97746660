//! Fusing stages: `Then<A, B>` runs `B` on everything `A` emits.

use core::marker::PhantomData;

use super::timed::Timed;
use crate::message::Timestamp;
use crate::operator::{Emit, ExchangeCounts, Operator, Polled};

/// `A` followed by `B`, as one operator.
#[derive(Clone, Debug)]
pub struct Then<A, B> {
    first: A,
    second: B,
}

impl<A, B> Then<A, B> {
    /// `first`, then `second` on its output.
    pub fn new(first: A, second: B) -> Self {
        Then { first, second }
    }
}

/// The `Emit` that `A` writes to inside `Then<A, B>`: it is `B` itself.
struct Feed<'a, B, E> {
    next: &'a mut B,
    out: &'a mut E,
}

impl<B: Operator, E: Emit<B::Out>> Emit<B::In> for Feed<'_, B, E> {
    #[inline(always)]
    fn emit(&mut self, item: B::In) {
        self.next.on_event(item, self.out);
    }

    #[inline]
    fn emit_late<L: 'static>(&mut self, late: L) {
        self.out.emit_late(late);
    }

    #[inline]
    fn emit_partly_late<L: 'static>(&mut self, event: L) {
        self.out.emit_partly_late(event);
    }

    #[inline]
    fn fail(&mut self, error: crate::state::StateError) {
        self.out.fail(error);
    }

    #[inline]
    fn checkpoint(&mut self) -> Option<&mut crate::checkpoint::Snapshot> {
        self.out.checkpoint()
    }

    /// A watermark from a stage that decides time (an exchange): `B`
    /// handles it, and passes it on if it passes time on.
    #[inline]
    fn watermark(&mut self, watermark: Timestamp) {
        self.next.on_watermark(watermark, self.out);
        if B::PASSES_TIME {
            self.out.watermark(watermark);
        }
    }

    #[inline]
    fn end(&mut self) {
        self.next.on_end(self.out);
        if B::PASSES_TIME {
            self.out.end();
        }
    }

    /// A barrier from a stage that decides time (an exchange, aligned):
    /// `B` takes it, and passes it on if it passes time on.
    #[inline]
    fn barrier(&mut self, epoch: u64) {
        self.next.on_barrier(epoch, self.out);
        if B::PASSES_TIME {
            self.out.barrier(epoch);
        }
    }
}

#[diagnostic::do_not_recommend]
impl<A, B> Operator for Then<A, B>
where
    A: Operator,
    B: Operator<In = A::Out>,
{
    type In = A::In;
    type Out = B::Out;

    #[inline(always)]
    fn on_event<E: Emit<B::Out>>(&mut self, event: A::In, out: &mut E) {
        self.first.on_event(
            event,
            &mut Feed {
                next: &mut self.second,
                out,
            },
        );
    }

    #[inline]
    fn on_watermark<E: Emit<B::Out>>(&mut self, watermark: Timestamp, out: &mut E) {
        // Upstream first: what it flushes reaches downstream before the
        // watermark does.
        self.first.on_watermark(
            watermark,
            &mut Feed {
                next: &mut self.second,
                out,
            },
        );
        if A::PASSES_TIME {
            self.second.on_watermark(watermark, out);
        }
    }

    #[inline]
    fn on_end<E: Emit<B::Out>>(&mut self, out: &mut E) {
        self.first.on_end(&mut Feed {
            next: &mut self.second,
            out,
        });
        // A stage that decides time (an exchange) ends what follows it
        // itself, once every core's stream into it has ended.
        if A::PASSES_TIME {
            self.second.on_end(out);
        }
    }

    #[inline]
    fn on_barrier<E: Emit<B::Out>>(&mut self, epoch: u64, out: &mut E) {
        // As a watermark: upstream first; a stage that decides time passes
        // the barrier on itself, once aligned.
        self.first.on_barrier(
            epoch,
            &mut Feed {
                next: &mut self.second,
                out,
            },
        );
        if A::PASSES_TIME {
            self.second.on_barrier(epoch, out);
        }
    }

    fn open(&mut self, cx: &crate::operator::OpenContext) -> Result<(), crate::state::StateError> {
        self.first.open(cx)?;
        self.second.open(cx)
    }

    const PASSES_TIME: bool = A::PASSES_TIME && B::PASSES_TIME;

    #[inline]
    fn poll<E: Emit<B::Out>>(&mut self, out: &mut E) -> Polled {
        // Downstream first: what it takes in frees room for what upstream
        // sends it. A held downstream stage takes nothing more from
        // upstream, whose exchanges then keep their rings full: that is
        // how an exchange's backpressure reaches the exchange before it.
        let second = self.second.poll(out);
        if second.held {
            self.first.flush_outgoing();
            return Polled {
                done: false,
                ..second
            };
        }
        let first = self.first.poll(&mut Feed {
            next: &mut self.second,
            out,
        });
        first.and(second)
    }

    #[inline]
    fn flush_outgoing(&mut self) {
        self.first.flush_outgoing();
        self.second.flush_outgoing();
    }

    #[inline]
    fn has_input(&mut self) -> bool {
        self.first.has_input() || self.second.has_input()
    }

    #[inline]
    fn exchange_watermark(&self) -> Option<Timestamp> {
        crate::message::min_of(
            self.first.exchange_watermark(),
            self.second.exchange_watermark(),
        )
    }

    fn exchange_counts(&self, counts: &mut ExchangeCounts) {
        self.first.exchange_counts(counts);
        self.second.exchange_counts(counts);
    }
}

/// The empty chain of a pipeline over `T`: passes its records, each with
/// its time (see [`Timed`]), through.
pub struct Identity<T>(PhantomData<fn(T) -> T>);

impl<T> Identity<T> {
    /// The chain with no stages.
    pub const fn new() -> Self {
        Identity(PhantomData)
    }
}

impl<T> Default for Identity<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for Identity<T> {
    fn clone(&self) -> Self {
        Self::new()
    }
}

impl<T> core::fmt::Debug for Identity<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Identity")
    }
}

#[diagnostic::do_not_recommend]
impl<T: 'static> Operator for Identity<T> {
    type In = Timed<T>;
    type Out = Timed<T>;

    #[inline(always)]
    fn on_event<E: Emit<Timed<T>>>(&mut self, event: Timed<T>, out: &mut E) {
        out.emit(event);
    }
}
