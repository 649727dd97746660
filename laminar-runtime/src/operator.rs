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

    /// Moves the time of the stages downstream to `watermark`. Called by a
    /// stage that decides the time after it (an exchange, whose watermark
    /// is the lowest of every core's); other stages' watermarks pass on by
    /// themselves. An emitter that is not a stage ignores it.
    #[inline]
    fn watermark(&mut self, watermark: Timestamp) {
        let _ = watermark;
    }

    /// Tells the stages downstream that no more input will come; called,
    /// like [`watermark`](Self::watermark), by a stage that decides it
    /// (an exchange, once every core's stream has ended).
    #[inline]
    fn end(&mut self) {}

    /// Passes checkpoint barrier `epoch` to the stages downstream; called,
    /// like [`watermark`](Self::watermark), by a stage that decides it (an
    /// exchange, once the barrier came in on every stream into it). The
    /// runtime's emitter notes that the core's chain is through the
    /// checkpoint.
    #[inline]
    fn barrier(&mut self, epoch: u64) {
        let _ = epoch;
    }

    /// Where a stage writes its state in
    /// [`Operator::on_barrier`]: the core's snapshot of the checkpoint
    /// under way, or `None` when the run keeps no checkpoints (the stage
    /// then has nothing to write).
    #[inline]
    fn checkpoint(&mut self) -> Option<&mut crate::checkpoint::Snapshot> {
        None
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

    /// Checkpoint barrier `epoch` reached this operator: everything before
    /// it was handed to `on_event`, nothing after it was. A stage with state
    /// snapshots it here; the barrier then passes on as a watermark does
    /// (through [`Emit::barrier`] for a stage that decides time).
    #[inline]
    fn on_barrier<E: Emit<Self::Out>>(&mut self, epoch: u64, out: &mut E) {
        let _ = (epoch, out);
    }

    /// Called once per core by `build`, before the worker starts: opens what
    /// the operator keeps, such as its state stores, so that a store that
    /// cannot be opened is a [`BuildError`](crate::BuildError), not a failure
    /// found at `finish`.
    fn open(&mut self, cx: &OpenContext) -> Result<(), crate::state::StateError> {
        let _ = cx;
        Ok(())
    }

    /// Whether the watermarks and the end this operator is given pass on,
    /// as they are, to the stages after it. An exchange sets it to `false`:
    /// the time after it is the lowest of every core's, which it passes on
    /// itself through [`Emit::watermark`] and [`Emit::end`].
    const PASSES_TIME: bool = true;

    /// Takes in what reached this operator by other ways than its input:
    /// an exchange's events from other cores. The core calls it once per
    /// pass, before it feeds the chain its own input.
    #[inline]
    fn poll<E: Emit<Self::Out>>(&mut self, out: &mut E) -> Polled {
        let _ = out;
        Polled::IDLE
    }

    /// Sends what its exchanges staged for other cores, and their pending
    /// watermarks, barriers and ends, as far as the rings allow, taking
    /// nothing in. A stage whose downstream is held is not polled (it would
    /// take in more than downstream can pass on), but it must still send:
    /// a barrier it has not sent yet may be what the core holding
    /// downstream up is waiting for.
    #[inline]
    fn flush_outgoing(&mut self) {}

    /// Whether [`poll`](Self::poll) has something to take: a core with
    /// nothing else to do sleeps only when it has not.
    #[inline]
    fn has_input(&mut self) -> bool {
        false
    }

    /// The lowest watermark among the other cores' streams into its
    /// exchanges (channels not yet ended), if it has any: the core's
    /// sources align with it, so that a core's sources do not run ahead of
    /// the slowest core whose records meet theirs after an exchange (the
    /// windows there would hold every record in between).
    #[inline]
    fn exchange_watermark(&self) -> Option<Timestamp> {
        None
    }

    /// Adds what its exchanges moved to `counts`, for the run's report.
    #[inline]
    fn exchange_counts(&self, counts: &mut ExchangeCounts) {
        let _ = counts;
    }
}

/// What one [`Operator::poll`] did, and what the core should do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Polled {
    /// Messages it took in.
    pub moved: usize,
    /// It holds as many events for other cores as it may: the core must
    /// not feed the chain more input until a poll says otherwise (the
    /// backpressure of an exchange reaches the core's inputs, not a wait).
    pub held: bool,
    /// It has events or control messages it could not send yet, because a
    /// destination's ring was full: the core should poll again soon.
    pub unsent: bool,
    /// Once the operator was ended: everything it had is sent and every
    /// other core's stream into it has ended.
    pub done: bool,
    /// It is aligning a checkpoint barrier: the core must not feed the
    /// chain more input until it is through, but, unlike [`held`](Self::held),
    /// the stages before it go on being polled (they may still have to
    /// send that barrier to the other cores).
    pub aligning: bool,
}

impl Polled {
    /// Nothing to do, nothing held: what an operator without exchanges
    /// says.
    pub const IDLE: Polled = Polled {
        moved: 0,
        held: false,
        unsent: false,
        done: true,
        aligning: false,
    };

    /// Both polls' news: held, unsent or aligning if either is, done if
    /// both are.
    #[inline]
    #[must_use]
    pub fn and(self, other: Polled) -> Polled {
        Polled {
            moved: self.moved + other.moved,
            held: self.held || other.held,
            unsent: self.unsent || other.unsent,
            done: self.done && other.done,
            aligning: self.aligning || other.aligning,
        }
    }
}

/// Events the exchanges inside a core's chain moved, for the report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExchangeCounts {
    /// Sent to other cores.
    pub sent: u64,
    /// Received from other cores.
    pub received: u64,
    /// Kept on this core (their key belongs to it).
    pub local: u64,
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
