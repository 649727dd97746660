//! Fusing stages: `Then<A, B>` runs `B` on everything `A` emits.

use core::marker::PhantomData;

use crate::message::Timestamp;
use crate::operator::{Emit, Operator};

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
        self.second.on_watermark(watermark, out);
    }

    #[inline]
    fn on_end<E: Emit<B::Out>>(&mut self, out: &mut E) {
        self.first.on_end(&mut Feed {
            next: &mut self.second,
            out,
        });
        self.second.on_end(out);
    }

    fn open(&mut self, cx: &crate::operator::OpenContext) -> Result<(), crate::state::StateError> {
        self.first.open(cx)?;
        self.second.open(cx)
    }
}

/// The empty chain: passes events through.
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
    type In = T;
    type Out = T;

    #[inline(always)]
    fn on_event<E: Emit<T>>(&mut self, event: T, out: &mut E) {
        out.emit(event);
    }
}
