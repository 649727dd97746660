//! A test harness for pipelines, after Flink's operator test harnesses: a
//! pipeline's chain runs on the calling thread, with no worker thread and
//! no queue, and the test decides when the watermark and the
//! processing-time clock move.
//!
//! The chain is the one the runtime runs: the harness asks the pipeline for
//! core 0's instance ([`Pipeline::instantiate`]) and opens it
//! ([`Operator::open`]) as the runtime's `build` does, except that its
//! processing-time stages get a [`ManualClock`] instead of the wall clock.
//! What the runtime decides by itself, the harness leaves to the test:
//!
//! - **Watermarks.** An input handle sends one every 64 events and at the
//!   end of every `submit_iter`; the harness sends none until asked:
//!   [`Harness::emit_watermark`] sends the one a handle would send now (the
//!   highest timestamp pushed, by the pipeline's own `event_time`
//!   extractor, minus its `lateness`), and [`Harness::advance_watermark`]
//!   sends any.
//! - **Processing time.** The runtime's clock is the wall clock; the
//!   harness's starts at 0 and moves with
//!   [`Harness::set_processing_time`] and
//!   [`Harness::advance_processing_time`]. In a `processing_time()`
//!   pipeline the watermark follows it, as a core's follows the wall clock,
//!   so moving it fires windows and `process` timers.
//! - **End of input.** [`Harness::end_input`] flushes the chain, as the
//!   end of input does on a core.
//!
//! Results and late events are read in the order the chain emitted them
//! ([`Harness::take_output`], [`Harness::take_late`]): everything runs on
//! one core, so a run is deterministic.
//!
//! The `laminar` crate's `testing` module shows it on `stream!` pipelines.

use crate::error::BuildError;
use crate::message::Timestamp;
use crate::operator::{Emit, OpenContext, Operator};
use crate::pipeline::Pipeline;
use crate::routing::Route;
use crate::state::{StateError, StoreChoice};
use crate::time::{ManualClock, ProcessingClock};

/// One pipeline's chain, run by hand. See the [module](self).
///
/// ```
/// use laminar_runtime::operator::{Emit, Operator};
/// use laminar_runtime::pipeline::Pipeline;
/// use laminar_runtime::routing::RoundRobin;
/// use laminar_runtime::testing::Harness;
///
/// /// Emits the running sum at every watermark.
/// struct Sum(u64);
/// impl Operator for Sum {
///     type In = u64;
///     type Out = u64;
///     fn on_event<E: Emit<u64>>(&mut self, e: u64, _out: &mut E) { self.0 += e }
///     fn on_watermark<E: Emit<u64>>(&mut self, _wm: u64, out: &mut E) { out.emit(self.0) }
/// }
/// struct P;
/// impl Pipeline for P {
///     type In = u64;
///     type Out = u64;
///     type Op = Sum;
///     type Route = RoundRobin;
///     fn route(&self) -> RoundRobin { RoundRobin::default() }
///     fn instantiate(&self, _core: usize) -> Sum { Sum(0) }
/// }
///
/// let mut h = Harness::new(P)?;
/// h.push_all([1, 2, 3]);
/// assert!(h.take_output().is_empty());
/// h.advance_watermark(10);
/// assert_eq!(h.take_output(), [6]);
/// # Ok::<(), laminar_runtime::BuildError>(())
/// ```
pub struct Harness<P: Pipeline> {
    route: P::Route,
    op: P::Op,
    describe: &'static str,
    clock: ManualClock,
    processing_time: bool,
    watermark: Timestamp,
    /// The highest timestamp pushed, by the pipeline's extractor.
    highest: Option<Timestamp>,
    output: Vec<P::Out>,
    late: Vec<P::In>,
    counts: Counts,
    failure: Option<StateError>,
    ended: bool,
}

/// What the harness counts, as the runtime's report does per core.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counts {
    /// Events pushed into the chain.
    pub events_in: u64,
    /// Results the chain emitted.
    pub events_out: u64,
    /// Events that missed every window they belong to.
    pub late: u64,
    /// Events that missed some of their windows and reached others.
    pub partly_late: u64,
    /// Times the watermark moved.
    pub watermarks: u64,
}

impl<P: Pipeline> Harness<P> {
    /// Checks the pipeline as [`RuntimeBuilder::build`] does, makes core 0's
    /// chain and opens it, with state in memory and the processing-time
    /// clock at 0.
    ///
    /// [`RuntimeBuilder::build`]: crate::RuntimeBuilder::build
    pub fn new(pipeline: P) -> Result<Self, BuildError> {
        Self::with_store(pipeline, StoreChoice::Memory)
    }

    /// Like [`new`](Self::new), with the stateful stages' state where
    /// `store` says. A directory is used as it is: the harness takes no
    /// lock on it and writes no manifest.
    pub fn with_store(pipeline: P, store: StoreChoice) -> Result<Self, BuildError> {
        pipeline.check()?;
        let clock = ManualClock::new(0);
        let mut op = pipeline.instantiate(0);
        let cx = OpenContext {
            core: 0,
            store,
            clock: ProcessingClock::Manual(clock.clone()),
            fabric: crate::exchange::Fabric::single(),
            idle_timeout: None,
            restored: None,
            named: Default::default(),
        };
        op.open(&cx).map_err(|source| BuildError::State {
            core: Some(0),
            source,
        })?;
        Ok(Harness {
            route: pipeline.route(),
            op,
            describe: pipeline.describe(),
            clock,
            processing_time: pipeline.processing_time(),
            watermark: 0,
            highest: None,
            output: Vec::new(),
            late: Vec::new(),
            counts: Counts::default(),
            failure: None,
            ended: false,
        })
    }

    /// Feeds one event through the chain, at the current processing time
    /// for stages that read it. Sends no watermark.
    ///
    /// # Panics
    ///
    /// After [`end_input`](Self::end_input), or after a stage failed (see
    /// [`failure`](Self::failure)): the runtime takes no event then either.
    pub fn push(&mut self, event: P::In) {
        self.check_open("push an event");
        if let Some(ts) = self.route.timestamp(&event) {
            self.highest = Some(self.highest.map_or(ts, |h| h.max(ts)));
        }
        self.counts.events_in += 1;
        let (op, mut out) = self.parts();
        op.on_event(event, &mut out);
    }

    /// [`push`](Self::push) for every event, in order.
    pub fn push_all(&mut self, events: impl IntoIterator<Item = P::In>) {
        for e in events {
            self.push(e);
        }
    }

    /// Sends the watermark an input handle would send now: the highest
    /// timestamp pushed so far minus the pipeline's out-of-orderness
    /// (`event_time(.., lateness = d)`). Returns it, or `None` when the
    /// pipeline is not in event time or no event was pushed. Like a handle,
    /// it never moves the watermark back.
    pub fn emit_watermark(&mut self) -> Option<Timestamp> {
        let wm = self.highest?.saturating_sub(self.route.out_of_orderness());
        self.move_watermark(wm);
        Some(wm)
    }

    /// Moves the watermark to `to`, by hand, as
    /// [`Input::advance_watermark`](crate::Input::advance_watermark) does:
    /// windows ending by then fire, and `process` timers due by then run.
    /// A watermark at or below the current one changes nothing.
    ///
    /// # Panics
    ///
    /// On a `processing_time()` pipeline, whose watermark is its clock
    /// (move that with [`set_processing_time`](Self::set_processing_time)),
    /// and after [`end_input`](Self::end_input).
    pub fn advance_watermark(&mut self, to: Timestamp) {
        assert!(
            !self.processing_time,
            "this pipeline runs in processing time: its watermark follows the clock; \
             move it with `set_processing_time` or `advance_processing_time`"
        );
        self.move_watermark(to);
    }

    /// Sets the processing-time clock to `to` milliseconds. In a
    /// `processing_time()` pipeline the watermark follows (forward only):
    /// windows ending by then fire, and `process` timers due by then run.
    pub fn set_processing_time(&mut self, to: Timestamp) {
        self.clock.set(to);
        if self.processing_time {
            self.move_watermark(to);
        }
    }

    /// Moves the processing-time clock forward by `by`, as
    /// [`set_processing_time`](Self::set_processing_time) does.
    pub fn advance_processing_time(&mut self, by: std::time::Duration) {
        let by = Timestamp::try_from(by.as_millis()).unwrap_or(Timestamp::MAX);
        self.set_processing_time(self.clock.now_ms().saturating_add(by));
    }

    /// Ends the input: the chain flushes what it holds, as each core's does
    /// when its inputs end (every window fires, every `process` timer
    /// runs, state is flushed).
    pub fn end_input(&mut self) {
        self.check_open("end the input");
        self.ended = true;
        let (op, mut out) = self.parts();
        op.on_end(&mut out);
    }

    /// The results emitted since the last call, in the order the chain
    /// emitted them.
    pub fn take_output(&mut self) -> Vec<P::Out> {
        std::mem::take(&mut self.output)
    }

    /// The late events (late and partly late) emitted since the last call,
    /// in order: what [`Runtime::drain_late`](crate::Runtime::drain_late)
    /// would hand out.
    pub fn take_late(&mut self) -> Vec<P::In> {
        std::mem::take(&mut self.late)
    }

    /// The results emitted and not yet taken.
    pub fn output(&self) -> &[P::Out] {
        &self.output
    }

    /// The late events emitted and not yet taken.
    pub fn late(&self) -> &[P::In] {
        &self.late
    }

    /// The current watermark.
    pub fn watermark(&self) -> Timestamp {
        self.watermark
    }

    /// The processing-time clock, in milliseconds.
    pub fn processing_time(&self) -> Timestamp {
        self.clock.now_ms()
    }

    /// What was counted so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The failure a stage reported, such as a state store that could not
    /// write; the runtime would stop the core and `finish` would return it.
    pub fn failure(&self) -> Option<&StateError> {
        self.failure.as_ref()
    }

    /// Whether [`end_input`](Self::end_input) was called.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// The pipeline's Mermaid flowchart.
    pub fn describe(&self) -> &'static str {
        self.describe
    }

    fn move_watermark(&mut self, to: Timestamp) {
        self.check_open("move the watermark");
        // As a core does: only forward, and the operator hears of it once.
        if to > self.watermark {
            self.watermark = to;
            self.counts.watermarks += 1;
            let (op, mut out) = self.parts();
            op.on_watermark(to, &mut out);
        }
    }

    fn check_open(&self, what: &str) {
        assert!(!self.ended, "cannot {what}: the input has ended");
        if let Some(e) = &self.failure {
            panic!("cannot {what}: a stage failed ({e}); the runtime would have stopped");
        }
    }

    /// The chain, and the emitter it writes to.
    fn parts(&mut self) -> (&mut P::Op, Collect<'_, P::Out, P::In>) {
        let out = Collect {
            output: &mut self.output,
            late: &mut self.late,
            counts: &mut self.counts,
            failure: &mut self.failure,
        };
        (&mut self.op, out)
    }
}

impl<P: Pipeline> core::fmt::Debug for Harness<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Harness")
            .field("watermark", &self.watermark)
            .field("processing_time", &self.clock.now_ms())
            .field("counts", &self.counts)
            .field("output", &self.output.len())
            .field("late", &self.late.len())
            .field("failure", &self.failure)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

/// The harness's [`Emit`]: results and late events into its buffers,
/// counted as a core's outboxes count them.
struct Collect<'a, O, I> {
    output: &'a mut Vec<O>,
    late: &'a mut Vec<I>,
    counts: &'a mut Counts,
    failure: &'a mut Option<StateError>,
}

impl<O, I: 'static> Collect<'_, O, I> {
    fn push_late<L: 'static>(&mut self, event: L) {
        // Late events are the pipeline's input events (as in the runtime's
        // late outbox).
        let mut slot = Some(event);
        match (&mut slot as &mut dyn core::any::Any)
            .downcast_mut::<Option<I>>()
            .and_then(Option::take)
        {
            Some(event) => self.late.push(event),
            None => panic!(
                "a stage emitted a late event of type `{}`, not the pipeline's input type `{}`",
                core::any::type_name::<L>(),
                core::any::type_name::<I>()
            ),
        }
    }
}

impl<O, I: 'static> Emit<O> for Collect<'_, O, I> {
    #[inline]
    fn emit(&mut self, item: O) {
        self.counts.events_out += 1;
        self.output.push(item);
    }

    fn emit_late<L: 'static>(&mut self, late: L) {
        self.counts.late += 1;
        self.push_late(late);
    }

    fn emit_partly_late<L: 'static>(&mut self, event: L) {
        self.counts.partly_late += 1;
        self.push_late(event);
    }

    fn fail(&mut self, error: StateError) {
        self.failure.get_or_insert(error);
    }
}
