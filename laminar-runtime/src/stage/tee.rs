//! Fan-out: one stream read by several flows. [`Tee`] hands a clone of
//! each record to a side branch that ends in a sink (`for_each`), and the
//! record itself on down the trunk. The side branch may hold any stages,
//! windows and exchanges included; it shares the trunk's time.

use core::marker::PhantomData;

use crate::message::Timestamp;
use crate::operator::{Emit, ExchangeCounts, OpenContext, Operator, Polled};
use crate::state::StateError;

use super::timed::Timed;

/// A side branch `S` beside the trunk, over records `T`.
#[derive(Clone, Debug)]
pub struct Tee<S> {
    side: S,
}

impl<S> Tee<S> {
    /// The fan-out into `side`.
    pub fn new(side: S) -> Self {
        Tee { side }
    }
}

/// What the side branch writes to: its results are a sink's (none), its
/// late events and failures are the run's, its time is the trunk's.
struct SideOut<'a, E, X> {
    out: &'a mut E,
    _trunk: PhantomData<fn(X)>,
}

impl<'a, E, X> SideOut<'a, E, X> {
    #[inline(always)]
    fn new(out: &'a mut E) -> Self {
        SideOut {
            out,
            _trunk: PhantomData,
        }
    }
}

impl<U, X, E: Emit<X>> Emit<U> for SideOut<'_, E, X> {
    #[inline(always)]
    fn emit(&mut self, item: U) {
        // A sink's output type is uninhabited: nothing arrives here.
        drop(item);
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
}

#[diagnostic::do_not_recommend]
impl<S, T> Operator for Tee<S>
where
    S: Operator<In = Timed<T>>,
    T: Clone + Send + 'static,
{
    type In = Timed<T>;
    type Out = Timed<T>;

    #[inline(always)]
    fn on_event<E: Emit<Timed<T>>>(&mut self, event: Timed<T>, out: &mut E) {
        self.side
            .on_event(event.clone(), &mut SideOut::<E, Timed<T>>::new(out));
        out.emit(event);
    }

    #[inline]
    fn on_watermark<E: Emit<Timed<T>>>(&mut self, watermark: Timestamp, out: &mut E) {
        self.side
            .on_watermark(watermark, &mut SideOut::<E, Timed<T>>::new(out));
    }

    #[inline]
    fn on_end<E: Emit<Timed<T>>>(&mut self, out: &mut E) {
        self.side.on_end(&mut SideOut::<E, Timed<T>>::new(out));
    }

    // The side branch ends in a sink: its barriers, once aligned, reach
    // nothing after; the trunk's pass on.
    #[inline]
    fn on_barrier<E: Emit<Timed<T>>>(&mut self, epoch: u64, out: &mut E) {
        self.side
            .on_barrier(epoch, &mut SideOut::<E, Timed<T>>::new(out));
    }

    fn open(&mut self, cx: &OpenContext) -> Result<(), StateError> {
        self.side.open(cx)
    }

    // The trunk's time passes on whatever the side branch holds: the side
    // ends in a sink, so what decides time inside it reaches nothing after.

    fn poll<E: Emit<Timed<T>>>(&mut self, out: &mut E) -> Polled {
        self.side.poll(&mut SideOut::<E, Timed<T>>::new(out))
    }

    fn flush_outgoing(&mut self) {
        self.side.flush_outgoing();
    }

    fn has_input(&mut self) -> bool {
        self.side.has_input()
    }

    fn exchange_watermark(&self) -> Option<Timestamp> {
        self.side.exchange_watermark()
    }

    fn exchange_counts(&self, counts: &mut ExchangeCounts) {
        self.side.exchange_counts(counts);
    }
}
