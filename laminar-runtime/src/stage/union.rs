//! `union(a, b)`: two streams of one record type become one. Each side is
//! a branch chain from its own input (its events arrive as one side of an
//! [`Either`]); both write into the same stages after the union.
//!
//! Time after a union is the lower of its two sides'. While neither side
//! holds an exchange, both sides see the core's watermark, which is already
//! the lowest over every input's channels, so it passes on as it is. A side
//! with an exchange decides its own time (the lowest of every core's
//! stream into it): then the union keeps each side's watermark and passes
//! on the lower through [`Emit::watermark`], and the end once both sides
//! have ended, as an exchange does.

use core::any::Any;

use crate::message::Timestamp;
use crate::operator::{Emit, ExchangeCounts, OpenContext, Operator, Polled};
use crate::port::Either;
use crate::state::StateError;

use super::sides::SideTimes;

/// Two branch chains, `A` over the left input and `B` over the right, with
/// one output.
#[derive(Clone, Debug)]
pub struct Union<A, B> {
    left: A,
    right: B,
    time: SideTimes,
}

impl<A, B> Union<A, B> {
    /// The union of `left` and `right`.
    pub fn new(left: A, right: B) -> Self {
        Union {
            left,
            right,
            time: SideTimes::default(),
        }
    }
}

/// What one side of a union writes to: the stages after the union, with
/// its late events wrapped as the pipeline's input, and its time kept.
struct Side<'a, E, In, Wrap> {
    out: &'a mut E,
    time: &'a mut SideTimes,
    side: usize,
    /// Whether this side decides its own time; if not, the union does.
    decides: bool,
    wrap: Wrap,
    _in: core::marker::PhantomData<fn(In)>,
}

impl<T, E, In, Wrap, W> Emit<T> for Side<'_, E, In, Wrap>
where
    E: Emit<T>,
    In: 'static,
    Wrap: Fn(In) -> W,
    W: 'static,
{
    #[inline(always)]
    fn emit(&mut self, item: T) {
        self.out.emit(item);
    }

    /// A late event of this side's input goes out as the pipeline's input
    /// (one side of the `Either`), so that the late output gives it back as
    /// it was submitted; anything else passes as it is.
    #[inline]
    fn emit_late<L: 'static>(&mut self, late: L) {
        let mut slot = Some(late);
        match (&mut slot as &mut dyn Any).downcast_mut::<Option<In>>() {
            Some(own) => {
                if let Some(own) = own.take() {
                    self.out.emit_late((self.wrap)(own));
                }
            }
            None => {
                if let Some(late) = slot {
                    self.out.emit_late(late);
                }
            }
        }
    }

    #[inline]
    fn emit_partly_late<L: 'static>(&mut self, event: L) {
        let mut slot = Some(event);
        match (&mut slot as &mut dyn Any).downcast_mut::<Option<In>>() {
            Some(own) => {
                if let Some(own) = own.take() {
                    self.out.emit_partly_late((self.wrap)(own));
                }
            }
            None => {
                if let Some(event) = slot {
                    self.out.emit_partly_late(event);
                }
            }
        }
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
            self.time.advance::<T, E>(self.out);
        }
    }

    fn end(&mut self) {
        if self.decides {
            self.time.ended[self.side] = true;
            self.time.advance::<T, E>(self.out);
        }
    }

    fn barrier(&mut self, epoch: u64) {
        if self.decides {
            self.time.side_barrier::<T, E>(self.side, epoch, self.out);
        }
    }
}

impl<A, B> Union<A, B>
where
    A: Operator,
    B: Operator<Out = A::Out>,
    A::In: 'static,
    B::In: 'static,
{
    #[inline(always)]
    fn left<'a, E>(&'a mut self, out: &'a mut E) -> (&'a mut A, LeftSide<'a, E, A::In, B::In>) {
        (
            &mut self.left,
            Side {
                out,
                time: &mut self.time,
                side: 0,
                decides: !A::PASSES_TIME,
                wrap: Either::Left,
                _in: core::marker::PhantomData,
            },
        )
    }

    #[inline(always)]
    fn right<'a, E>(&'a mut self, out: &'a mut E) -> (&'a mut B, RightSide<'a, E, A::In, B::In>) {
        (
            &mut self.right,
            Side {
                out,
                time: &mut self.time,
                side: 1,
                decides: !B::PASSES_TIME,
                wrap: Either::Right,
                _in: core::marker::PhantomData,
            },
        )
    }
}

type LeftSide<'a, E, L, R> = Side<'a, E, L, fn(L) -> Either<L, R>>;
type RightSide<'a, E, L, R> = Side<'a, E, R, fn(R) -> Either<L, R>>;

#[diagnostic::do_not_recommend]
impl<A, B> Operator for Union<A, B>
where
    A: Operator,
    B: Operator<Out = A::Out>,
    A::In: 'static,
    B::In: 'static,
{
    type In = Either<A::In, B::In>;
    type Out = A::Out;

    #[inline(always)]
    fn on_event<E: Emit<A::Out>>(&mut self, event: Self::In, out: &mut E) {
        match event {
            Either::Left(a) => {
                let (op, mut side) = self.left(out);
                op.on_event(a, &mut side);
            }
            Either::Right(b) => {
                let (op, mut side) = self.right(out);
                op.on_event(b, &mut side);
            }
        }
    }

    fn on_watermark<E: Emit<A::Out>>(&mut self, watermark: Timestamp, out: &mut E) {
        {
            let (op, mut side) = self.left(out);
            op.on_watermark(watermark, &mut side);
        }
        {
            let (op, mut side) = self.right(out);
            op.on_watermark(watermark, &mut side);
        }
        if !Self::PASSES_TIME {
            self.time
                .core_watermark([A::PASSES_TIME, B::PASSES_TIME], watermark, out);
        }
    }

    fn on_end<E: Emit<A::Out>>(&mut self, out: &mut E) {
        {
            let (op, mut side) = self.left(out);
            op.on_end(&mut side);
        }
        {
            let (op, mut side) = self.right(out);
            op.on_end(&mut side);
        }
        if !Self::PASSES_TIME {
            self.time.core_end([A::PASSES_TIME, B::PASSES_TIME], out);
        }
    }

    fn on_barrier<E: Emit<A::Out>>(&mut self, epoch: u64, out: &mut E) {
        {
            let (op, mut side) = self.left(out);
            op.on_barrier(epoch, &mut side);
        }
        {
            let (op, mut side) = self.right(out);
            op.on_barrier(epoch, &mut side);
        }
        if !Self::PASSES_TIME {
            self.time
                .core_barrier::<A::Out, E>([A::PASSES_TIME, B::PASSES_TIME], epoch, out);
        }
    }

    fn open(&mut self, cx: &OpenContext) -> Result<(), StateError> {
        self.left.open(cx)?;
        self.right.open(cx)
    }

    const PASSES_TIME: bool = A::PASSES_TIME && B::PASSES_TIME;

    fn poll<E: Emit<A::Out>>(&mut self, out: &mut E) -> Polled {
        let left = {
            let (op, mut side) = self.left(out);
            op.poll(&mut side)
        };
        let right = {
            let (op, mut side) = self.right(out);
            op.poll(&mut side)
        };
        left.and(right)
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

/// The first stage of a pipeline whose input is a union's: events go on as
/// they are, each side of the union stamps its own with its time.
pub struct Pass<S>(core::marker::PhantomData<fn(S) -> S>);

impl<S> Pass<S> {
    /// The stage.
    pub const fn new() -> Self {
        Pass(core::marker::PhantomData)
    }
}

impl<S> Default for Pass<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Clone for Pass<S> {
    fn clone(&self) -> Self {
        Self::new()
    }
}

impl<S> core::fmt::Debug for Pass<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Pass")
    }
}

#[diagnostic::do_not_recommend]
impl<S: Send + 'static> Operator for Pass<S> {
    type In = S;
    type Out = S;

    #[inline(always)]
    fn on_event<E: Emit<S>>(&mut self, event: S, out: &mut E) {
        out.emit(event);
    }
}
