//! Several outputs from one stream: [`Split`] hands a clone of each record
//! to two branches that both go on, each to its own output, and wraps what
//! each emits as its side of an [`Either`]: the pipeline's output is the
//! sum of its outputs, as its input is the sum of its inputs.
//!
//! Time after a split is the lower of the two branches' (a branch may hold
//! an exchange, which decides its own), passed on as a union does.

use core::marker::PhantomData;

use super::sides::SideTimes;
use super::timed::Timed;
use crate::message::Timestamp;
use crate::operator::{Emit, ExchangeCounts, OpenContext, Operator, Polled};
use crate::port::Either;
use crate::state::StateError;

/// Two branches `A` and `B` over the same records `Timed<T>`, whose
/// results go out as `Timed<Either<A's, B's>>`.
#[derive(Clone, Debug)]
pub struct Split<A, B> {
    left: A,
    right: B,
    time: SideTimes,
}

impl<A, B> Split<A, B> {
    /// The split into `left` and `right`.
    pub fn new(left: A, right: B) -> Self {
        Split {
            left,
            right,
            time: SideTimes::default(),
        }
    }
}

/// What one branch of a split writes to: its results wrapped as its side.
struct Branch<'a, E, X, Y, W> {
    out: &'a mut E,
    time: &'a mut SideTimes,
    side: usize,
    decides: bool,
    wrap: W,
    _types: PhantomData<fn(X) -> Y>,
}

impl<X, Y, E, W> Emit<Timed<X>> for Branch<'_, E, X, Y, W>
where
    E: Emit<Timed<Y>>,
    W: Fn(X) -> Y,
{
    #[inline(always)]
    fn emit(&mut self, item: Timed<X>) {
        self.out.emit(Timed {
            ts: item.ts,
            value: (self.wrap)(item.value),
        });
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
    fn fail(&mut self, error: StateError) {
        self.out.fail(error);
    }

    #[inline]
    fn checkpoint(&mut self) -> Option<&mut crate::checkpoint::Snapshot> {
        self.out.checkpoint()
    }

    fn watermark(&mut self, watermark: Timestamp) {
        if self.decides {
            self.time.watermark[self.side] = Some(watermark);
            self.time.advance::<Timed<Y>, E>(self.out);
        }
    }

    fn end(&mut self) {
        if self.decides {
            self.time.ended[self.side] = true;
            self.time.advance::<Timed<Y>, E>(self.out);
        }
    }

    fn barrier(&mut self, epoch: u64) {
        if self.decides {
            self.time
                .side_barrier::<Timed<Y>, E>(self.side, epoch, self.out);
        }
    }
}

macro_rules! branch {
    ($self:ident, $out:ident, $field:ident, $side:expr, $op:ty, $wrap:expr) => {
        (
            &mut $self.$field,
            Branch {
                out: $out,
                time: &mut $self.time,
                side: $side,
                decides: !<$op as Operator>::PASSES_TIME,
                wrap: $wrap,
                _types: PhantomData,
            },
        )
    };
}

#[diagnostic::do_not_recommend]
impl<A, B, T, XA, XB> Operator for Split<A, B>
where
    A: Operator<In = Timed<T>, Out = Timed<XA>>,
    B: Operator<In = Timed<T>, Out = Timed<XB>>,
    T: Clone + Send + 'static,
{
    type In = Timed<T>;
    type Out = Timed<Either<XA, XB>>;

    #[inline(always)]
    fn on_event<E: Emit<Self::Out>>(&mut self, event: Timed<T>, out: &mut E) {
        {
            let (op, mut branch) = branch!(self, out, left, 0, A, Either::<XA, XB>::Left);
            op.on_event(event.clone(), &mut branch);
        }
        let (op, mut branch) = branch!(self, out, right, 1, B, Either::<XA, XB>::Right);
        op.on_event(event, &mut branch);
    }

    fn on_watermark<E: Emit<Self::Out>>(&mut self, watermark: Timestamp, out: &mut E) {
        {
            let (op, mut branch) = branch!(self, out, left, 0, A, Either::<XA, XB>::Left);
            op.on_watermark(watermark, &mut branch);
        }
        {
            let (op, mut branch) = branch!(self, out, right, 1, B, Either::<XA, XB>::Right);
            op.on_watermark(watermark, &mut branch);
        }
        if !Self::PASSES_TIME {
            self.time
                .core_watermark([A::PASSES_TIME, B::PASSES_TIME], watermark, out);
        }
    }

    fn on_end<E: Emit<Self::Out>>(&mut self, out: &mut E) {
        {
            let (op, mut branch) = branch!(self, out, left, 0, A, Either::<XA, XB>::Left);
            op.on_end(&mut branch);
        }
        {
            let (op, mut branch) = branch!(self, out, right, 1, B, Either::<XA, XB>::Right);
            op.on_end(&mut branch);
        }
        if !Self::PASSES_TIME {
            self.time.core_end([A::PASSES_TIME, B::PASSES_TIME], out);
        }
    }

    fn on_barrier<E: Emit<Self::Out>>(&mut self, epoch: u64, out: &mut E) {
        {
            let (op, mut branch) = branch!(self, out, left, 0, A, Either::<XA, XB>::Left);
            op.on_barrier(epoch, &mut branch);
        }
        {
            let (op, mut branch) = branch!(self, out, right, 1, B, Either::<XA, XB>::Right);
            op.on_barrier(epoch, &mut branch);
        }
        if !Self::PASSES_TIME {
            self.time
                .core_barrier::<Self::Out, E>([A::PASSES_TIME, B::PASSES_TIME], epoch, out);
        }
    }

    fn open(&mut self, cx: &OpenContext) -> Result<(), StateError> {
        self.left.open(cx)?;
        self.right.open(cx)
    }

    const PASSES_TIME: bool = A::PASSES_TIME && B::PASSES_TIME;

    fn poll<E: Emit<Self::Out>>(&mut self, out: &mut E) -> Polled {
        let left = {
            let (op, mut branch) = branch!(self, out, left, 0, A, Either::<XA, XB>::Left);
            op.poll(&mut branch)
        };
        let (op, mut branch) = branch!(self, out, right, 1, B, Either::<XA, XB>::Right);
        left.and(op.poll(&mut branch))
    }

    fn flush_outgoing(&mut self) {
        self.left.flush_outgoing();
        self.right.flush_outgoing();
    }

    fn has_input(&mut self) -> bool {
        self.left.has_input() || self.right.has_input()
    }

    fn exchange_watermark(&self) -> Option<Timestamp> {
        crate::message::min_of(
            self.left.exchange_watermark(),
            self.right.exchange_watermark(),
        )
    }

    fn exchange_counts(&self, counts: &mut ExchangeCounts) {
        self.left.exchange_counts(counts);
        self.right.exchange_counts(counts);
    }
}
