//! The runtime: a builder, the running cores, and `finish`.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::Policy;
use crate::config::Config;
use crate::error::{BuildError, RuntimeError};
use crate::input::Input;
use crate::operator::{OpenContext, Operator};
use crate::pipeline::Pipeline;
use crate::report::{CoreReport, Report};
use crate::shared::Shared;
use crate::spsc::{self, Consumer};
use crate::sync::Arc;
use crate::worker::Worker;

/// The largest queue or outbox the builder accepts, in slots (2^26, 64 Mi):
/// far above any useful queue, and low enough that rounding up to a power of
/// two cannot overflow. Larger settings are a [`BuildError::RingTooLarge`].
///
/// ```
/// use laminar_runtime::{BuildError, MAX_RING_CAPACITY, Runtime};
/// # use laminar_runtime::{Emit, Operator, Pipeline, RoundRobin};
/// # #[derive(Clone)]
/// # struct Noop;
/// # impl Operator for Noop {
/// #     type In = u64;
/// #     type Out = u64;
/// #     fn on_event<E: Emit<u64>>(&mut self, _: u64, _: &mut E) {}
/// # }
/// # impl Pipeline for Noop {
/// #     type In = u64;
/// #     type Out = u64;
/// #     type Op = Noop;
/// #     type Route = RoundRobin;
/// #     fn route(&self) -> RoundRobin { RoundRobin::default() }
/// #     fn instantiate(&self, _core: usize) -> Noop { Noop }
/// # }
///
/// let err = Runtime::builder()
///     .queue_capacity(MAX_RING_CAPACITY + 1)
///     .build(Noop)
///     .err();
/// assert!(matches!(err, Some(BuildError::RingTooLarge { what: "queue", .. })));
/// ```
pub const MAX_RING_CAPACITY: usize = 1 << 26;

/// A running pipeline: one worker thread per core.
///
/// ```
/// # use laminar_runtime::{operator::{Emit, Operator}, pipeline::Pipeline, routing::RoundRobin, Runtime};
/// # struct Sq; impl Operator for Sq { type In = u64; type Out = u64;
/// #   fn on_event<E: Emit<u64>>(&mut self, e: u64, o: &mut E) { o.emit(e * e) } }
/// # struct P; impl Pipeline for P { type In = u64; type Out = u64; type Op = Sq; type Route = RoundRobin;
/// #   fn route(&self) -> RoundRobin { RoundRobin::default() } fn instantiate(&self, _: usize) -> Sq { Sq } }
/// let mut rt = Runtime::builder().cores(2).build(P)?;
/// let mut input = rt.input();
/// input.submit_iter(1..=3)?;
/// drop(input);
/// let mut out = Vec::new();
/// let report = rt.finish_into(&mut out)?;
/// out.sort();
/// assert_eq!(out, [1, 4, 9]);
/// assert_eq!(report.events_in(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Runtime<P: Pipeline> {
    pipeline: P,
    shared: Arc<Shared<P::In>>,
    outboxes: Vec<Consumer<P::Out>>,
    late_outboxes: Vec<Consumer<P::In>>,
    threads: Vec<JoinHandle<CoreReport>>,
    started: Instant,
    /// Holds the state directory for this runtime's lifetime.
    _state_dir: Option<crate::state::StateDirLock>,
}

/// Names the builder's entry point without a pipeline type.
pub struct Unbuilt;

impl Runtime<Unbuilt> {
    /// Starts configuring a runtime.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }
}

/// Placeholder pipeline so that `Runtime::builder()` needs no annotation.
#[diagnostic::do_not_recommend]
impl Pipeline for Unbuilt {
    type In = ();
    type Out = ();
    type Op = crate::operator::NeverOp;
    type Route = crate::routing::RoundRobin;
    fn route(&self) -> Self::Route {
        crate::routing::RoundRobin::default()
    }
    fn instantiate(&self, _core: usize) -> Self::Op {
        crate::operator::NeverOp
    }
}

/// Settings for a [`Runtime`]; see [`Config`] for the defaults.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct RuntimeBuilder {
    config: Config,
}

impl RuntimeBuilder {
    /// Worker threads, one per core. Default: the machine's parallelism.
    pub fn cores(mut self, n: usize) -> Self {
        self.config.cores = n;
        self
    }

    /// Pin each worker to its own CPU. Where the OS refuses, the worker runs
    /// unpinned and the report says so.
    pub fn pin_cores(mut self, pin: bool) -> Self {
        self.config.pin_cores = pin;
        self
    }

    /// Slots per ingress ring (rounded up to a power of two), from 2 to
    /// [`MAX_RING_CAPACITY`]. Default 4096.
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.config.queue_capacity = n;
        self
    }

    /// Most messages a worker takes from one ring at a time. Default 256.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.config.batch_size = n;
        self
    }

    /// Slots per outbox ring (rounded up to a power of two), at most
    /// [`MAX_RING_CAPACITY`]. Default 8192.
    pub fn outbox_capacity(mut self, n: usize) -> Self {
        self.config.outbox_capacity = n;
        self
    }

    /// What a submit does when its core has no credit. Default `Block`.
    pub fn backpressure(mut self, policy: Policy) -> Self {
        self.config.policy = policy;
        self
    }

    /// Keep the state of stateful stages (`reduce`, `fold`, `process`) in
    /// memory-mapped files under `dir`, one per core and stage, instead of
    /// in memory. The pipeline's stages stay the same.
    ///
    /// # What the directory keeps
    ///
    /// The keyed values of `reduce`, `fold` and `process`, in
    /// `dir/core-<n>/<stage>.state`, so a later run on the same directory
    /// goes on from them. Nothing else: not the contents of open windows,
    /// not `process` timers (a key's state survives, a timer it set does
    /// not fire in the next run), not watermarks, not input positions. No
    /// checkpoint ties the state to the input: events fed again after a
    /// restart are applied again. Writes reach the OS page cache at once
    /// (a process crash loses nothing) and are synced at the end of input;
    /// a power loss can lose what was written since. A write torn by a
    /// crash is cut off at the next open.
    ///
    /// # What `build` checks
    ///
    /// Before any event is taken, `build` returns
    /// [`BuildError::State`] with a [`StateError`](crate::state::StateError)
    /// that says, in words, what to do:
    ///
    /// - the path exists and is not a directory: `NotADirectory` (a missing
    ///   directory is created);
    /// - the directory cannot be written: `NotWritable`;
    /// - another live runtime uses it: `Locked`, with that process's id
    ///   (the lock, `dir/laminar.lock`, is released when the runtime is
    ///   finished or dropped);
    /// - it was written with another core count (recorded in
    ///   `dir/laminar.manifest` at the first build): `CoresChanged`, as
    ///   state is kept on the core that owns its key and rescaling is not
    ///   supported yet;
    /// - a stage's key or value type is not the one its file was written
    ///   with (by `std::any::type_name`; a changed definition under the same
    ///   name is not caught): `TypeChanged`, naming the stage and both types;
    /// - a state file is damaged in the middle of its log: `Corrupt`, with
    ///   the file and offset; one that is not a state file (or all zeroes):
    ///   `BadHeader`; one of another format version: `UnsupportedVersion`;
    /// - the disk has no room for a store's preallocation (1 MiB per core
    ///   and stage): `NoSpace`.
    ///
    /// A full disk during the run stops it like any store failure:
    /// [`finish`](Runtime::finish) returns [`RuntimeError::State`] naming
    /// the core; disk blocks are reserved before they are written, so it is
    /// never `SIGBUS` (on file systems with `fallocate`; see
    /// [`state::mmap`](crate::state::mmap)).
    pub fn state_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.config.store = crate::state::StoreChoice::Mmap(dir.into());
        self
    }

    /// The settings so far.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Starts one worker per core, each with its own instance of the
    /// pipeline's operator chain.
    pub fn build<P: Pipeline>(self, pipeline: P) -> Result<Runtime<P>, BuildError> {
        let config = self.config;
        if config.cores == 0 {
            return Err(BuildError::ZeroCores);
        }
        if config.queue_capacity < 2 {
            return Err(BuildError::QueueTooSmall(config.queue_capacity));
        }
        for (what, capacity) in [
            ("queue", config.queue_capacity),
            ("outbox", config.outbox_capacity),
        ] {
            if capacity > MAX_RING_CAPACITY {
                return Err(BuildError::RingTooLarge {
                    what,
                    capacity,
                    max: MAX_RING_CAPACITY,
                });
            }
        }
        let cpus = if config.pin_cores {
            Some(core_affinity::get_core_ids().unwrap_or_default())
        } else {
            None
        };
        let cores = config.cores;
        let outbox_capacity = config.outbox_capacity;
        // Every core's operator opens its state here, on the building
        // thread, so that a store that cannot open is a build error.
        let state_dir = crate::state::prepare_dir(&config.store, cores)
            .map_err(|source| BuildError::State { core: None, source })?;
        let mut ops = Vec::with_capacity(cores);
        for core in 0..cores {
            let mut op = pipeline.instantiate(core);
            let cx = OpenContext {
                core,
                store: config.store.clone(),
            };
            op.open(&cx).map_err(|source| BuildError::State {
                core: Some(core),
                source,
            })?;
            ops.push(op);
        }
        let shared = Arc::new(Shared::new(config));
        let mut rt = Runtime {
            pipeline,
            shared: shared.clone(),
            outboxes: Vec::with_capacity(cores),
            late_outboxes: Vec::with_capacity(cores),
            threads: Vec::with_capacity(cores),
            started: Instant::now(),
            _state_dir: state_dir,
        };
        for (core, op) in ops.into_iter().enumerate() {
            let (tx, rx) = spsc::channel(outbox_capacity);
            rt.outboxes.push(rx);
            let (late_tx, late_rx) = spsc::channel(outbox_capacity);
            rt.late_outboxes.push(late_rx);
            let worker = Worker {
                core,
                op,
                outbox: tx,
                late: late_tx,
                processing_time: rt.pipeline.processing_time(),
                idle_timeout: rt.pipeline.idle_timeout(),
                shared: shared.clone(),
                pin: cpus
                    .as_ref()
                    .map(|ids| (!ids.is_empty()).then(|| ids[core % ids.len()])),
            };
            let spawned = std::thread::Builder::new()
                .name(format!("laminar-core-{core}"))
                .spawn(move || worker.run());
            match spawned {
                Ok(handle) => rt.threads.push(handle),
                // Dropping `rt` stops the workers already started.
                Err(source) => return Err(BuildError::Spawn { core, source }),
            }
        }
        Ok(rt)
    }
}

impl<P: Pipeline> Runtime<P> {
    /// A new input handle with its own rings into every core.
    pub fn input(&self) -> Input<P::In, P::Route> {
        Input::new(self.shared.clone(), self.pipeline.route())
    }

    /// Number of cores.
    pub fn cores(&self) -> usize {
        self.shared.cores.len()
    }

    /// The pipeline's Mermaid flowchart.
    pub fn describe(&self) -> &'static str {
        self.pipeline.describe()
    }

    /// Moves every result ready now into `buf`; returns how many.
    pub fn drain(&mut self, buf: &mut Vec<P::Out>) -> usize {
        let before = buf.len();
        for rx in &mut self.outboxes {
            buf.extend(rx.pop_batch(usize::MAX));
        }
        buf.len() - before
    }

    /// Moves every late event ready now into `buf`; returns how many. Late
    /// events are those that arrived after their window's end plus its
    /// allowed lateness; each is also counted in the report.
    pub fn drain_late(&mut self, buf: &mut Vec<P::In>) -> usize {
        let before = buf.len();
        for rx in &mut self.late_outboxes {
            buf.extend(rx.pop_batch(usize::MAX));
        }
        buf.len() - before
    }

    /// Closes every input, lets each core drain its inboxes and flush its
    /// operator, joins the threads, and appends the remaining results to
    /// `buf`. Input handles still alive are refused from then on with
    /// [`SubmitError::Closed`](crate::SubmitError). Late events still unread
    /// are counted in [`late_unread`](crate::CoreReport::late_unread); use
    /// [`finish_with_late`](Self::finish_with_late) to keep them.
    pub fn finish_into(mut self, buf: &mut Vec<P::Out>) -> Result<Report, RuntimeError> {
        self.shared.close_all();
        let mut late_unread = vec![0u64; self.late_outboxes.len()];
        self.wait(|rt| {
            rt.drain(buf);
            count_unread(&mut rt.late_outboxes, &mut late_unread);
        })
        .map(|report| with_counts(report, &[], &late_unread))
    }

    /// Like [`finish_into`](Self::finish_into), and appends the remaining
    /// late events to `late`.
    pub fn finish_with_late(
        mut self,
        buf: &mut Vec<P::Out>,
        late: &mut Vec<P::In>,
    ) -> Result<Report, RuntimeError> {
        self.shared.close_all();
        self.wait(|rt| {
            rt.drain(buf);
            rt.drain_late(late);
        })
    }

    /// Like [`finish_into`](Self::finish_into) for pipelines whose results
    /// leave through their own terminal stage. Results still in an outbox
    /// are not lost silently: each is counted in its core's
    /// [`outputs_unread`](crate::CoreReport::outputs_unread).
    pub fn finish(mut self) -> Result<Report, RuntimeError> {
        self.shared.close_all();
        let mut unread = vec![0u64; self.outboxes.len()];
        let mut late_unread = vec![0u64; self.late_outboxes.len()];
        self.wait(|rt| {
            count_unread(&mut rt.outboxes, &mut unread);
            count_unread(&mut rt.late_outboxes, &mut late_unread);
        })
        .map(|report| with_counts(report, &unread, &late_unread))
    }

    fn wait(&mut self, mut drain: impl FnMut(&mut Self)) -> Result<Report, RuntimeError> {
        while self.threads.iter().any(|t| !t.is_finished()) {
            drain(self);
            std::thread::sleep(Duration::from_micros(50));
        }
        let mut cores = Vec::with_capacity(self.threads.len());
        for (core, t) in self.threads.drain(..).enumerate() {
            match t.join() {
                Ok(r) => cores.push(r),
                // Worker code catches user panics; this is one of our own.
                Err(_) => {
                    self.shared.fail(
                        core,
                        crate::shared::FailureKind::Panic,
                        "the worker thread itself panicked".to_owned(),
                    );
                    cores.push(CoreReport::new(core));
                }
            }
        }
        drain(self);
        for c in &mut cores {
            let t = self.shared.ingress_totals(c.core);
            c.submitted = t.submitted;
            c.dropped = t.dropped;
            c.rejected = t.rejected;
            c.blocked = t.blocked;
            c.blocked_time = Duration::from_nanos(t.blocked_ns);
            c.credits_acquired = t.credits_acquired;
            c.credits_released = t.credits_released;
        }
        if let Some((core, kind, message)) = self.shared.failure() {
            return Err(match kind {
                crate::shared::FailureKind::Panic => RuntimeError::CorePanicked { core, message },
                crate::shared::FailureKind::State => RuntimeError::State { core, message },
            });
        }
        Ok(Report {
            cores,
            elapsed: self.started.elapsed(),
        })
    }
}

impl<P: Pipeline> Drop for Runtime<P> {
    /// A runtime dropped without `finish` still stops and joins its cores;
    /// its unread results are dropped with it.
    fn drop(&mut self) {
        if self.threads.is_empty() {
            return;
        }
        self.shared.close_all();
        let _ = self.wait(|rt| {
            for rx in &mut rt.outboxes {
                rx.pop_batch(usize::MAX).for_each(drop);
            }
            for rx in &mut rt.late_outboxes {
                rx.pop_batch(usize::MAX).for_each(drop);
            }
        });
    }
}

impl<P: Pipeline> core::fmt::Debug for Runtime<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Runtime")
            .field("cores", &self.cores())
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

/// Empties each ring, adding how many items it held to its core's count.
fn count_unread<X>(rings: &mut [Consumer<X>], counts: &mut [u64]) {
    for (rx, n) in rings.iter_mut().zip(counts) {
        *n += rx.pop_batch(usize::MAX).count() as u64;
    }
}

/// Writes the unread counts into the report.
fn with_counts(mut report: Report, outputs: &[u64], late: &[u64]) -> Report {
    for (i, c) in report.cores.iter_mut().enumerate() {
        c.outputs_unread = outputs.get(i).copied().unwrap_or(0);
        c.late_unread = late.get(i).copied().unwrap_or(0);
    }
    report
}
