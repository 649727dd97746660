//! The unit of work a core runs: an [`Operator`] consumes events and control
//! messages and writes its results to an [`Emit`].
//!
//! `Emit` is a type parameter of every method rather than a trait object, so a
//! chain of operators is one monomorphized function: each stage calls the next
//! stage's `on_event` directly, and the optimizer sees through all of them.

use crate::message::Timestamp;
// Defined with the state it opens, so that state does not import operator;
// kept at this path, where `Operator::open` users name it.
pub use crate::state::OpenContext;

/// Where an operator writes its results.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive items of type `{T}`",
    label = "this stage's output does not fit here",
    note = "the next stage, or the pipeline's output, expects a different item type"
)]
pub trait Emit<T> {
    /// Hands one result downstream.
    fn emit(&mut self, item: T);

    /// Hands an event that arrived too late for its window to the late-data
    /// output. The runtime's emitter routes it to the core's late outbox
    /// (typed as the pipeline's input) and counts it; an emitter with no
    /// late output, such as a `Vec` in a test, discards it.
    #[inline]
    fn emit_late<L: 'static>(&mut self, late: L) {
        let _ = late;
    }

    /// Hands an event that reached some of its windows but missed others
    /// that had already closed (sliding windows past their end plus allowed
    /// lateness). The runtime's emitter routes it to the late outbox like
    /// [`emit_late`](Self::emit_late) and counts it in its own report
    /// column, `partly_late`. (A late event that would have merged into a
    /// closed session reaches no result at all, so it is plainly late.)
    #[inline]
    fn emit_partly_late<L: 'static>(&mut self, event: L) {
        let _ = event;
    }

    /// Reports that a stage could not go on, such as a state store that
    /// could not write. The runtime's emitter stops the run and `finish`
    /// returns the error, naming the core; an emitter without that notion
    /// ignores it.
    #[inline]
    fn fail(&mut self, error: crate::state::StateError) {
        let _ = error;
    }
}

impl<T> Emit<T> for Vec<T> {
    #[inline]
    fn emit(&mut self, item: T) {
        self.push(item);
    }
}

/// An emitter that discards and counts; for terminal stages whose output
/// type is uninhabited, and for tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Discard {
    /// Items discarded.
    pub count: u64,
}

impl<T> Emit<T> for Discard {
    #[inline]
    fn emit(&mut self, _item: T) {
        self.count += 1;
    }
}

/// A push-based operator: one instance per core, owned by that core's worker.
///
/// ```
/// use laminar_runtime::operator::{Emit, Operator};
///
/// struct Double;
/// impl Operator for Double {
///     type In = u32;
///     type Out = u32;
///     fn on_event<E: Emit<u32>>(&mut self, event: u32, out: &mut E) {
///         out.emit(event * 2);
///     }
/// }
///
/// let mut out = Vec::new();
/// Double.on_event(21, &mut out);
/// assert_eq!(out, [42]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Laminar operator",
    note = "operators come from `stream!` pipelines, or implement `laminar::Operator` by hand"
)]
pub trait Operator: Send + 'static {
    /// What it consumes.
    type In;
    /// What it produces.
    type Out;

    /// Handles one event.
    fn on_event<E: Emit<Self::Out>>(&mut self, event: Self::In, out: &mut E);

    /// The core's watermark advanced to `watermark`.
    #[inline]
    fn on_watermark<E: Emit<Self::Out>>(&mut self, watermark: Timestamp, out: &mut E) {
        let _ = (watermark, out);
    }

    /// No more input will come; flush what is held.
    #[inline]
    fn on_end<E: Emit<Self::Out>>(&mut self, out: &mut E) {
        let _ = out;
    }

    /// Called once per core by `build`, before the worker starts: opens what
    /// the operator keeps, such as its state stores, so that a store that
    /// cannot be opened is a [`BuildError`](crate::BuildError), not a failure
    /// found at `finish`.
    fn open(&mut self, cx: &OpenContext) -> Result<(), crate::state::StateError> {
        let _ = cx;
        Ok(())
    }
}

/// An operator that takes and gives nothing; the type behind
/// `Runtime::builder()` before a pipeline is chosen.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeverOp;

// Not a candidate worth naming in a user's "other types implement" list.
#[diagnostic::do_not_recommend]
impl Operator for NeverOp {
    type In = ();
    type Out = ();
    fn on_event<E: Emit<()>>(&mut self, _event: (), _out: &mut E) {}
}
