//! The runtime: a builder, the running cores, and `finish`.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::Policy;
use crate::config::Config;
use crate::error::{BuildError, RuntimeError};
use crate::input::Input;
use crate::operator::{OpenContext, Operator};
use crate::outbox::OutSink;
use crate::output::{Output, OutputShared, OutputTaken};
use crate::pipeline::Pipeline;
use crate::report::{CoreReport, Report, Warning};
use crate::shared::{Cause, Shared};
use crate::spsc;
use crate::sync::Arc;
use crate::trace::RunTrace;
use crate::worker::{Worker, WorkerExit};

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

/// The most cores (worker threads) a runtime takes: far above any machine
/// this runs on, low enough that per-core allocations cannot overflow.
/// More is a [`BuildError::TooManyCores`]; more cores than CPUs is allowed
/// and named in [`Runtime::warnings`] and the report.
pub const MAX_CORES: usize = 1024;

/// A running pipeline: one worker thread per core.
///
/// Collect at the end: submit, drop the input, and `finish_into` a buffer.
/// This never deadlocks, however many results there are: until an output
/// handle is taken, a core whose outbox is full keeps the overflow (memory
/// grows with what is unread).
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
///
/// Or read while running, the way a service does: one thread submits,
/// another owns the [`Output`] handle. A taken handle applies backpressure,
/// so memory stays bounded.
///
/// ```
/// # use laminar_runtime::{operator::{Emit, Operator}, pipeline::Pipeline, routing::RoundRobin, Runtime};
/// # struct Sq; impl Operator for Sq { type In = u64; type Out = u64;
/// #   fn on_event<E: Emit<u64>>(&mut self, e: u64, o: &mut E) { o.emit(e * e) } }
/// # struct P; impl Pipeline for P { type In = u64; type Out = u64; type Op = Sq; type Route = RoundRobin;
/// #   fn route(&self) -> RoundRobin { RoundRobin::default() } fn instantiate(&self, _: usize) -> Sq { Sq } }
/// let mut rt = Runtime::builder().cores(2).outbox_capacity(64).build(P)?;
/// let output = rt.output()?;
/// let reader = std::thread::spawn(move || output.count());
/// let mut input = rt.input();
/// let submitter = std::thread::spawn(move || input.submit_iter(0..100_000).map(|a| a.queued));
/// assert_eq!(submitter.join().unwrap()?, 100_000);
/// let report = rt.finish()?;
/// assert_eq!(reader.join().unwrap(), 100_000);
/// assert_eq!(report.outputs_unread(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Runtime<P: Pipeline> {
    pipeline: P,
    shared: Arc<Shared<P::In>>,
    outputs: Arc<OutputShared<P::Out>>,
    late: Arc<OutputShared<P::In>>,
    threads: Vec<JoinHandle<WorkerExit<P::Out, P::In>>>,
    warnings: Vec<Warning>,
    started: Instant,
    /// The run's span (with the `tracing` feature).
    trace: RunTrace,
    /// The output's handles per port, once one is taken.
    ports: crate::output_port::Ports<P::Out>,
    /// Takes checkpoints to the end of their durable order.
    coordinator: Arc<std::sync::Mutex<crate::checkpoint::Coordinator>>,
    /// What the run recovered: the sources' positions.
    restored: Option<Arc<crate::checkpoint::Restored>>,
    /// Sources attached so far: the next one's number.
    attached: std::sync::atomic::AtomicU32,
    /// The thread that takes a checkpoint every `checkpoint_every`, and
    /// its stop flag.
    ticker: Option<(Arc<std::sync::atomic::AtomicBool>, JoinHandle<()>)>,
    /// Holds the state directory for this runtime's lifetime.
    _state_dir: Option<crate::state::StateDirLock>,
}

/// Names the builder's entry point without a pipeline type.
#[derive(Debug)]
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

    /// How far, in event time, a source may read ahead of the slowest
    /// source whose events reach the same core, before it waits for it.
    /// Default 1 s.
    ///
    /// A core's watermark is the minimum over its inputs, so a split that
    /// runs ahead of the others (a thread scheduled more, a split with
    /// sparser data) makes the cores hold its events in open windows until
    /// the others catch up: without a bound, memory would grow with the
    /// skew. A split paused here costs nothing; its core keeps consuming
    /// its inputs, and the slowest split is never paused, so the sources
    /// always make progress. Input handles' watermarks are not waited for.
    pub fn max_source_skew(mut self, skew: std::time::Duration) -> Self {
        self.config.max_source_skew = skew.as_millis().min(u64::MAX as u128) as u64;
        self
    }

    /// Keeps checkpoints in `dir`: at each checkpoint every core writes
    /// the state of its stages and where its sources stand, and the
    /// run's sink pre-commits; a manifest written last makes the
    /// checkpoint count (see [`checkpoint`](crate::checkpoint)). Without
    /// it, [`Runtime::checkpoint`] only sends barriers through.
    pub fn checkpoint_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.config.checkpoint_dir = Some(dir.into());
        self
    }

    /// Takes a checkpoint every `every`, on a thread of the runtime's,
    /// besides those [`Runtime::checkpoint`] asks for.
    pub fn checkpoint_every(mut self, every: Duration) -> Self {
        self.config.checkpoint_every = Some(every);
        self
    }

    /// At build, restores the last checkpoint in the
    /// [`checkpoint_dir`](Self::checkpoint_dir) (if there is one): its
    /// sinks' prepared transactions are committed (again) and every other
    /// one aborted, each stage gets the state of the key groups its core
    /// owns now (on any number of cores), and each source attached is
    /// moved to its recorded positions, in the order the sources are
    /// attached.
    pub fn recover(mut self, recover: bool) -> Self {
        self.config.recover = recover;
        self
    }

    /// The settings so far.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Checks the settings, opens every core's state, and starts one worker
    /// per core, each with its own instance of the pipeline's operator
    /// chain.
    pub fn build<P: Pipeline>(self, pipeline: P) -> Result<Runtime<P>, BuildError> {
        self.build_started(pipeline, None)
    }

    /// [`build`](Self::build), with the pipeline's results written to
    /// `sink` on each core instead of the output: each core's writer
    /// stages them, pre-commits at every checkpoint's barrier, and the
    /// runtime commits once the checkpoint is durable, and at `finish`.
    /// With an exactly-once sink such as `sink::file::FileSink` (the
    /// `json` feature) and a
    /// [`checkpoint_dir`](Self::checkpoint_dir), each result is visible
    /// once, across crashes and recoveries.
    pub fn build_with_sink<P: Pipeline, S: crate::sink::Sink<P::Out>>(
        self,
        pipeline: P,
        mut sink: S,
    ) -> Result<Runtime<P>, BuildError>
    where
        P::Out: 'static,
    {
        let committer = sink.committer();
        let make: MakeWriter<'_, P::Out> = &mut |core, cores, epoch| {
            sink.writer(core, cores, epoch)
                .map(|w| Box::new(w) as Box<dyn crate::sink::SinkWriter<P::Out>>)
        };
        self.build_started(pipeline, Some((committer, make)))
    }

    fn build_started<P: Pipeline>(
        self,
        pipeline: P,
        sink: Option<SinkParts<'_, P::Out>>,
    ) -> Result<Runtime<P>, BuildError> {
        let trace = RunTrace::new(&self.config);
        let built = self.start(pipeline, trace.clone(), sink);
        match &built {
            Ok(rt) => trace.started(rt.cores()),
            Err(e) => trace.build_failed(e),
        }
        built
    }

    /// `build`, in the run's span.
    fn start<P: Pipeline>(
        self,
        pipeline: P,
        trace: RunTrace,
        sink: Option<SinkParts<'_, P::Out>>,
    ) -> Result<Runtime<P>, BuildError> {
        let config = self.config;
        check(&config)?;
        pipeline.check()?;
        let cores = config.cores;
        let recover_err = |e: crate::CheckpointError| BuildError::Recover(Box::new(e));
        let (committer, mut make_writer) = match sink {
            Some((c, m)) => (Some(c), Some(m)),
            None => (None, None),
        };
        let checkpoint_dir = config
            .checkpoint_dir
            .as_ref()
            .map(crate::checkpoint::CheckpointDir::open)
            .transpose()
            .map_err(|e| recover_err(e.into()))?;
        let mut coordinator = crate::checkpoint::Coordinator {
            dir: checkpoint_dir.clone(),
            committer,
            last: 0,
        };
        // Recovery: the last manifest's transactions committed, the rest
        // aborted, and its snapshots dealt out by key group.
        let recovered = if config.recover {
            coordinator.recover().map_err(recover_err)?
        } else {
            if let Some(dir) = &checkpoint_dir {
                coordinator.last = dir.highest_epoch().map_err(|e| recover_err(e.into()))?;
            }
            None
        };
        let restored: Option<Vec<Arc<crate::checkpoint::Restored>>> = recovered
            .map(|(_, files)| {
                crate::checkpoint::Restored::deal(files.iter().map(Vec::as_slice), cores)
                    .map(|restored| restored.into_iter().map(Arc::new).collect())
            })
            .transpose()
            .map_err(|e| recover_err(e.into()))?;
        let mut writers = Vec::with_capacity(cores);
        if let Some(make) = &mut make_writer {
            for core in 0..cores {
                let w = make(core, cores, coordinator.last).map_err(|e| recover_err(e.into()))?;
                writers.push(Some(w));
            }
        } else {
            writers.resize_with(cores, || None);
        }
        let (warnings, pins) = plan_cpus(&config);
        // Every core's operator opens its state here, on the building
        // thread, so that a store that cannot open is a build error.
        let state_dir = crate::state::prepare_dir(&config.store, cores)
            .map_err(|source| BuildError::State { core: None, source })?;
        let wakers: Vec<Arc<crate::idle::Waker>> = (0..cores).map(|_| Arc::default()).collect();
        let fabric = crate::exchange::Fabric::new(config.queue_capacity, wakers.clone());
        let mut ops = Vec::with_capacity(cores);
        for core in 0..cores {
            let mut op = pipeline.instantiate(core);
            let cx = OpenContext {
                core,
                store: config.store.clone(),
                clock: crate::time::ProcessingClock::Wall,
                fabric: fabric.clone(),
                idle_timeout: pipeline.idle_timeout(),
                restored: restored.as_ref().map(|r| r[core].clone()),
                named: Default::default(),
            };
            op.open(&cx).map_err(|source| BuildError::State {
                core: Some(core),
                source,
            })?;
            ops.push(op);
        }
        let outbox_capacity = config.outbox_capacity;
        let (txs, rxs): (Vec<_>, Vec<_>) =
            (0..cores).map(|_| spsc::channel(outbox_capacity)).unzip();
        let (late_txs, late_rxs): (Vec<_>, Vec<_>) =
            (0..cores).map(|_| spsc::channel(outbox_capacity)).unzip();
        let keeps_checkpoints = checkpoint_dir.is_some() || coordinator.committer.is_some();
        let every = config.checkpoint_every;
        let mut shared = Shared::new(config, &wakers);
        shared.checkpoint_dir = checkpoint_dir;
        shared.keeps_checkpoints = keeps_checkpoints;
        let shared = Arc::new(shared);
        let mut rt = Runtime {
            pipeline,
            shared: shared.clone(),
            outputs: OutputShared::new(rxs),
            late: OutputShared::new(late_rxs),
            threads: Vec::with_capacity(cores),
            warnings,
            started: Instant::now(),
            trace,
            ports: crate::output_port::Ports::default(),
            coordinator: Arc::new(std::sync::Mutex::new(coordinator)),
            restored: restored.and_then(|r| r.into_iter().next()),
            attached: std::sync::atomic::AtomicU32::new(0),
            ticker: None,
            _state_dir: state_dir,
        };
        rt.trace.built(&rt.shared.config, rt.pipeline.describe());
        let sinks = txs.into_iter().zip(late_txs);
        for (core, (((op, (tx, late_tx)), pin), sink)) in ops
            .into_iter()
            .zip(sinks)
            .zip(pins)
            .zip(writers)
            .enumerate()
        {
            let worker = Worker {
                core,
                op,
                route: rt.pipeline.route(),
                outbox: OutSink::new(core, tx, rt.outputs.clone()),
                late: OutSink::new(core, late_tx, rt.late.clone()),
                processing_time: rt.pipeline.processing_time(),
                idle_timeout: rt.pipeline.idle_timeout(),
                shared: shared.clone(),
                fabric: fabric.clone(),
                pin,
                sink,
            };
            let trace = rt.trace.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("laminar-core-{core}"))
                .spawn(move || trace.core(core, || worker.run()));
            match spawned {
                Ok(handle) => rt.threads.push(handle),
                // Dropping `rt` stops the workers already started.
                Err(source) => return Err(BuildError::Spawn { core, source }),
            }
        }
        if let Some(every) = every {
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let (shared, coordinator, flag) =
                (rt.shared.clone(), rt.coordinator.clone(), stop.clone());
            let ticker = std::thread::Builder::new()
                .name("laminar-checkpoints".into())
                .spawn(move || tick(&shared, &coordinator, &flag, every))
                .map_err(|source| BuildError::Spawn {
                    core: cores,
                    source,
                })?;
            rt.ticker = Some((stop, ticker));
        }
        Ok(rt)
    }
}

/// Makes core `core` of `cores`'s sink writer, its transactions after
/// checkpoint `epoch`.
type MakeWriter<'a, O> =
    &'a mut dyn FnMut(
        usize,
        usize,
        u64,
    ) -> Result<Box<dyn crate::sink::SinkWriter<O>>, crate::sink::SinkError>;

/// A sink's committer and the maker of its writers.
type SinkParts<'a, O> = (
    std::sync::Arc<dyn crate::sink::Committer>,
    MakeWriter<'a, O>,
);

/// Takes a checkpoint every `every` until `stop` is set or the run fails.
fn tick<T>(
    shared: &Shared<T>,
    coordinator: &std::sync::Mutex<crate::checkpoint::Coordinator>,
    stop: &std::sync::atomic::AtomicBool,
    every: Duration,
) {
    use std::sync::atomic::Ordering::Acquire;
    let mut next = Instant::now() + every;
    while !stop.load(Acquire) && !shared.is_failed() {
        // Finishing, and the sources are done: the run's last checkpoint
        // comes as the chains end.
        if shared.closing.load(Acquire)
            && shared.sources_live.load(crate::sync::Ordering::Acquire) == 0
        {
            return;
        }
        let now = Instant::now();
        if now < next {
            std::thread::sleep((next - now).min(Duration::from_millis(5)));
            continue;
        }
        next = now + every;
        if take_checkpoint(shared, coordinator, Some(stop)).is_err() {
            return;
        }
    }
}

/// Takes one checkpoint through its durable order: the barrier through
/// every core (each writes its snapshot and pre-commits its sink), then
/// the manifest, the sinks' commits and the mark. Gives up, rolling back
/// what was prepared, if a core fails or stops first (or `stop` is set).
fn take_checkpoint<T>(
    shared: &Shared<T>,
    coordinator: &std::sync::Mutex<crate::checkpoint::Coordinator>,
    stop: Option<&std::sync::atomic::AtomicBool>,
) -> Result<u64, crate::CheckpointError> {
    use std::sync::atomic::Ordering::{AcqRel, Acquire, Release};
    let mut c = coordinator
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let started = Instant::now();
    // Every core has taken in the sources attached so far, with their
    // channels (attach holds the coordinator while it hands them out).
    while shared
        .cores
        .iter()
        .any(|core| core.has_pending.load(Acquire) && !core.exited.load(Acquire))
    {
        if shared.is_failed() || stop.is_some_and(|s| s.load(Acquire)) {
            return Err(crate::CheckpointError::Failed);
        }
        std::thread::yield_now();
    }
    let epoch = match c.next_epoch() {
        Ok(epoch) => epoch,
        Err(e) => {
            shared.fail(0, Cause::Checkpoint(e));
            return Err(crate::CheckpointError::Failed);
        }
    };
    shared.checkpoint_requested.store(epoch, Release);
    for core in &shared.cores {
        core.waker.wake();
    }
    let mut spins = 0u32;
    loop {
        if shared.cores.iter().all(|core| core.checkpointed() >= epoch) {
            break;
        }
        let gone = shared.is_failed()
            || stop.is_some_and(|s| s.load(Acquire))
            || shared
                .cores
                .iter()
                .any(|core| core.exited.load(Acquire) && core.checkpointed() < epoch);
        if gone {
            let acks = collect_acks(shared, Some(epoch));
            c.abort(&acks);
            return Err(crate::CheckpointError::Failed);
        }
        spins += 1;
        if spins < 64 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
    let acks = collect_acks(shared, Some(epoch));
    if let Err(e) = c.complete(epoch, acks, false) {
        shared.fail(0, Cause::Checkpoint(crate::CheckpointError::Failed));
        return Err(e);
    }
    shared.checkpoints_done.fetch_add(1, AcqRel);
    shared
        .checkpoint_ns
        .fetch_add(started.elapsed().as_nanos() as u64, AcqRel);
    Ok(epoch)
}

/// The cores' reports for checkpoint `epoch` (a core that has not made one
/// is left out), or every report left when `epoch` is `None`.
fn collect_acks<T>(shared: &Shared<T>, epoch: Option<u64>) -> Vec<crate::checkpoint::CoreAck> {
    shared
        .cores
        .iter()
        .filter_map(|core| {
            core.ack
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .filter(|a| epoch.is_none_or(|e| a.epoch == e))
        })
        .collect()
}

/// The settings a runtime cannot run with, as typed errors.
fn check(config: &Config) -> Result<(), BuildError> {
    if config.cores == 0 {
        return Err(BuildError::ZeroCores);
    }
    if config.cores > MAX_CORES {
        return Err(BuildError::TooManyCores {
            cores: config.cores,
            max: MAX_CORES,
        });
    }
    if config.queue_capacity < 2 {
        return Err(BuildError::QueueTooSmall(config.queue_capacity));
    }
    if config.outbox_capacity == 0 {
        return Err(BuildError::ZeroOutbox);
    }
    if config.batch_size == 0 {
        return Err(BuildError::ZeroBatch);
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
    Ok(())
}

/// Which CPU each worker is pinned to, and what the user should know about
/// running more workers than CPUs.
type Pin = Option<Option<core_affinity::CoreId>>;

fn plan_cpus(config: &Config) -> (Vec<Warning>, Vec<Pin>) {
    let mut warnings = Vec::new();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if config.cores > cpus {
        warnings.push(Warning::MoreCoresThanCpus {
            cores: config.cores,
            cpus,
        });
    }
    if !config.pin_cores {
        return (warnings, vec![None; config.cores]);
    }
    let ids = core_affinity::get_core_ids().unwrap_or_default();
    if ids.is_empty() {
        return (warnings, vec![Some(None); config.cores]);
    }
    if config.cores > ids.len() {
        warnings.push(Warning::CpusShared {
            cores: config.cores,
            cpus: ids.len(),
        });
    }
    let pins = (0..config.cores)
        .map(|core| Some(Some(ids[core % ids.len()])))
        .collect();
    (warnings, pins)
}

impl<P: Pipeline> Runtime<P> {
    /// A new input handle with its own rings into every core.
    pub fn input(&self) -> Input<P::In, P::Route> {
        Input::new(self.shared.clone(), self.pipeline.route())
    }

    /// A handle for one input of a pipeline with several (`let name =
    /// Type -> ...;` in `stream!`, joined by `union`): it takes that
    /// input's events, `E`, and is otherwise an [`Input`] (see
    /// [`port`](crate::port)). Which input follows from `E`: name it
    /// (`rt.port::<Person, _>()`) or let `submit` tell. For a pipeline
    /// with one input, `port` is [`input`](Self::input) by another name.
    ///
    /// ```
    /// use laminar_runtime::stage::builder::source;
    /// use laminar_runtime::{Runtime, port::Either};
    ///
    /// let words = source::<&'static str>().map(|w| w.len() as u64);
    /// let numbers = source::<u64>();
    /// let p = words.union(numbers).build("flowchart LR");
    /// let rt = Runtime::builder().cores(2).build(p)?;
    /// let mut w = rt.port::<&'static str, _>();
    /// let mut n = rt.port::<u64, _>();
    /// w.submit("four")?;
    /// n.submit(10)?;
    /// drop((w, n));
    /// let mut out = Vec::new();
    /// rt.finish_into(&mut out)?;
    /// out.sort();
    /// assert_eq!(out, [4, 10]);
    /// # let _: Option<Either<u8, u8>> = None;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn port<E, Ix>(&self) -> crate::port::PortInput<E, Ix, P::In, P::Route>
    where
        P::In: crate::port::Port<E, Ix>,
    {
        crate::port::PortInput::new(self.input())
    }

    /// [`attach`](Self::attach) for one input of a pipeline with several:
    /// a source of that input's events, `E` (see [`port`](Self::port)).
    pub fn attach_port<E, Ix, S>(&self, source: S)
    where
        S: crate::source::Source<E>,
        E: Send + 'static,
        Ix: 'static,
        P::In: crate::port::Port<E, Ix>,
    {
        self.attach(crate::port::PortSource::<S, E, Ix>::new(source));
    }

    /// Attaches a source that runs inside the cores: each core reads its
    /// own split (`source.split(core, cores)`, called here) on its own
    /// thread, and its events enter that core's chain with no hand-off.
    /// Events whose key belongs to another core cross to it through an
    /// exchange (see [`source`](crate::source)). Each split is one more
    /// input of its core, with its own watermark: the highest timestamp it
    /// read minus the pipeline's lateness.
    ///
    /// `finish` waits for every attached source to end; dropping the
    /// runtime unfinished stops them. A source may be attached at any time
    /// before `finish`, alongside input handles.
    ///
    /// ```
    /// # use laminar_runtime::{operator::{Emit, Operator}, pipeline::Pipeline, routing::RoundRobin, Runtime};
    /// # struct Id; impl Operator for Id { type In = u64; type Out = u64;
    /// #   fn on_event<E: Emit<u64>>(&mut self, e: u64, o: &mut E) { o.emit(e) } }
    /// # struct P; impl Pipeline for P { type In = u64; type Out = u64; type Op = Id; type Route = RoundRobin;
    /// #   fn route(&self) -> RoundRobin { RoundRobin::default() } fn instantiate(&self, _: usize) -> Id { Id } }
    /// use laminar_runtime::source;
    /// let rt = Runtime::builder().cores(2).build(P)?;
    /// let events: std::sync::Arc<[u64]> = (0..10_000).collect();
    /// rt.attach(source::from_slice(events));
    /// let mut input = rt.input(); // and a handle, too
    /// input.submit(10_000)?;
    /// drop(input);
    /// let mut out = Vec::new();
    /// let report = rt.finish_into(&mut out)?;
    /// assert_eq!(out.len(), 10_001);
    /// assert_eq!((report.read(), report.submitted()), (10_000, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attach<S: crate::source::Source<P::In>>(&self, mut source: S)
    where
        P::In: Send + 'static,
    {
        let cores = self.cores();
        let number = self
            .attached
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        // No checkpoint is asked for while the source's splits and channels
        // are handed out: a core that took its barrier in before it had
        // its split would never send the barrier on the split's channels,
        // and one that had its channels late would count another core's
        // events on the wrong side of the barrier.
        let _no_checkpoint = self
            .coordinator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A recovering run reads each replayable source on from where the
        // checkpoint recorded it; one that cannot seek stops the run.
        if let Some(restored) = &self.restored
            && source.replayable()
            && let Err(e) = source.seek(&restored.positions(number))
        {
            self.shared.fail(0, Cause::Checkpoint(e.into()));
            return;
        }
        let stays = cores == 1 || crate::Route::<P::In>::any_core(&self.pipeline.route());
        // Every exchange channel is registered with its receiving core
        // before any split starts, so no core can end while another may
        // still send to it; each core then gets its split and the channels
        // into it in one step.
        let mut senders: Vec<Option<Vec<_>>> = Vec::with_capacity(cores);
        let mut receivers: Vec<Vec<_>> = (0..cores).map(|_| Vec::new()).collect();
        for from in 0..cores {
            senders.push((!stays).then(|| {
                (0..cores)
                    .map(|to| {
                        (to != from).then(|| {
                            let (tx, rx) = self.shared.open_exchange(to);
                            receivers[to].push(rx);
                            tx
                        })
                    })
                    .collect()
            }));
        }
        for (core, (exchange, from)) in senders.into_iter().zip(receivers).enumerate() {
            let split = source.split(core, cores);
            self.shared.add_source(
                core,
                crate::shared::PendingSource {
                    split: Box::new(split),
                    source: number,
                    exchange,
                },
                from,
            );
        }
    }

    /// Takes a checkpoint: a barrier enters every core's chain after what
    /// the core took in so far, travels in band through every exchange,
    /// and each stage after an exchange sees it once it came in on every
    /// stream into the exchange (aligned): so every record is on one side
    /// of the barrier at every stage. Returns the checkpoint's number once
    /// every core's chain is through it.
    ///
    /// With a [`checkpoint_dir`](RuntimeBuilder::checkpoint_dir), it
    /// returns once the checkpoint is durable: every core's snapshot (its
    /// stages' state and its sources' positions) fsynced, the manifest in
    /// place, the sink's transactions committed. Without one, the barrier
    /// goes through and nothing is kept. The report counts both
    /// (`barriers` per core, `checkpoints`).
    ///
    /// ```
    /// use laminar_runtime::stage::builder::source;
    /// use laminar_runtime::Runtime;
    ///
    /// let p = source::<u64>().map(|x| x * 2).key_by_exchange(|x| *x).build("flowchart LR");
    /// let mut rt = Runtime::builder().cores(2).build(p)?;
    /// rt.input().submit_iter(0..1_000)?;
    /// assert_eq!(rt.checkpoint()?, 1);
    /// assert_eq!(rt.checkpoint()?, 2);
    /// let report = rt.finish()?;
    /// assert_eq!(report.checkpoints, 2);
    /// assert!(report.cores.iter().all(|c| c.barriers == 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn checkpoint(&mut self) -> Result<u64, crate::CheckpointError> {
        take_checkpoint(&self.shared, &self.coordinator, None)
    }

    /// How far the run has come: events in and out and read so far, over
    /// all cores, and the lowest core's watermark (see [`Progress`]). Any
    /// thread may ask while the cores run; each core's figures are at most
    /// a few dozen passes of its loop old.
    ///
    /// [`Progress`]: crate::Progress
    pub fn progress(&self) -> crate::Progress {
        crate::Progress::sum(
            self.shared.cores.iter().map(|c| &c.live),
            self.started.elapsed(),
        )
    }

    /// True once every source attached so far has ended (each core read
    /// its split to its end and handed on what it read), when none was
    /// attached, and when a core failed (then no source goes on; `finish`
    /// returns the error). Results may still be on their way out: drain,
    /// or `finish`, to have them all.
    ///
    /// ```
    /// # use laminar_runtime::{operator::{Emit, Operator}, pipeline::Pipeline, routing::RoundRobin, Runtime};
    /// # struct Id; impl Operator for Id { type In = u64; type Out = u64;
    /// #   fn on_event<E: Emit<u64>>(&mut self, e: u64, o: &mut E) { o.emit(e) } }
    /// # struct P; impl Pipeline for P { type In = u64; type Out = u64; type Op = Id; type Route = RoundRobin;
    /// #   fn route(&self) -> RoundRobin { RoundRobin::default() } fn instantiate(&self, _: usize) -> Id { Id } }
    /// use laminar_runtime::source;
    /// let mut rt = Runtime::builder().cores(2).build(P)?;
    /// rt.attach(source::from_fn(|core, cores| (core as u64..100_000).step_by(cores)));
    /// let mut sum = 0;
    /// let mut buf = Vec::new();
    /// // Fold results as they come, without keeping them.
    /// while !rt.sources_done() {
    ///     rt.drain(&mut buf);
    ///     sum += buf.drain(..).sum::<u64>();
    /// }
    /// rt.finish_into(&mut buf)?;
    /// sum += buf.drain(..).sum::<u64>();
    /// assert_eq!(sum, (0..100_000u64).sum::<u64>());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sources_done(&self) -> bool {
        self.shared.is_failed()
            || self
                .shared
                .sources_live
                .load(crate::sync::Ordering::Acquire)
                == 0
    }

    /// The handle that reads the pipeline's results, from any thread. Once
    /// taken, the workers wait for it (backpressure); dropped, the results
    /// that follow are discarded and counted as unread. Without it,
    /// [`drain`](Self::drain) and [`finish_into`](Self::finish_into) collect
    /// the results, with no bound on memory. See [`Output`].
    pub fn output(&mut self) -> Result<Output<P::Out>, OutputTaken> {
        crate::output::take(&self.outputs)
    }

    /// The handle of one output of a pipeline with several (`(a, b)` at
    /// the end of a `stream!`), typed as that output's records, `E`: which
    /// output follows from `E`, as for [`port`](Self::port). Each output
    /// has one handle; the handles share the pipeline's output, so
    /// [`output`](Self::output) is then taken (see
    /// [`output_port`](crate::output_port)).
    ///
    /// ```
    /// use laminar_runtime::stage::builder::source;
    /// use laminar_runtime::Runtime;
    ///
    /// let numbers = source::<u64>();
    /// let evens = numbers.fork().filter(|x| x % 2 == 0);
    /// let words = numbers.fork().map(|x| format!("#{x}"));
    /// let p = numbers.split(evens, words).build("flowchart LR");
    /// let mut rt = Runtime::builder().cores(2).build(p)?;
    /// let mut evens = rt.output_port::<u64, _>()?;
    /// let mut words = rt.output_port::<String, _>()?;
    /// rt.input().submit_iter(0..10)?;
    /// rt.finish()?;
    /// let mut got: Vec<u64> = evens.by_ref().collect();
    /// got.sort();
    /// assert_eq!(got, [0, 2, 4, 6, 8]);
    /// assert_eq!(words.count(), 10);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn output_port<E, Ix: 'static>(
        &mut self,
    ) -> Result<crate::output_port::PortOutput<E, Ix, P::Out>, OutputTaken>
    where
        P::Out: crate::port::Port<E, Ix>,
    {
        let demux = match self.ports.demux.as_ref() {
            Some(weak) => weak.upgrade().ok_or(OutputTaken)?,
            None => {
                let output = self.output()?;
                let demux = crate::output_port::Demux::new(output, self.ports.discarded.clone());
                self.ports.demux = Some(std::sync::Arc::downgrade(&demux));
                demux
            }
        };
        let slot = demux.open::<E, Ix>().ok_or(OutputTaken)?;
        Ok(crate::output_port::PortOutput::new(demux, slot))
    }

    /// The handle that reads late events (those past their window's end
    /// plus its allowed lateness, and those that missed some of their
    /// windows), from any thread; as [`output`](Self::output). Drop it at
    /// once to discard late events, counted, instead of collecting them.
    pub fn late_output(&mut self) -> Result<Output<P::In>, OutputTaken> {
        crate::output::take(&self.late)
    }

    /// Number of cores.
    pub fn cores(&self) -> usize {
        self.shared.cores.len()
    }

    /// What the user should know about the settings the runtime runs with,
    /// such as more workers than CPUs; also in the final report.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The pipeline's Mermaid flowchart.
    pub fn describe(&self) -> &'static str {
        self.pipeline.describe()
    }

    /// Moves every result ready now into `buf`; returns how many. Reads
    /// nothing once [`output`](Self::output) was taken.
    pub fn drain(&mut self, buf: &mut Vec<P::Out>) -> usize {
        self.outputs.drain(buf)
    }

    /// Moves every late event ready now into `buf`; returns how many. Late
    /// events are those that arrived after their window's end plus its
    /// allowed lateness, or that missed some of their windows; each is also
    /// counted in the report. Reads nothing once
    /// [`late_output`](Self::late_output) was taken.
    pub fn drain_late(&mut self, buf: &mut Vec<P::In>) -> usize {
        self.late.drain(buf)
    }

    /// Closes every input, lets each core drain its inboxes and flush its
    /// operator, joins the threads, and appends the results not yet read to
    /// `buf` (none if [`output`](Self::output) was taken: then this waits
    /// for that handle's reader). Input handles still alive are refused from
    /// then on with [`SubmitError::Closed`](crate::SubmitError). Late events
    /// still unread are discarded and counted in
    /// [`late_unread`](crate::CoreReport::late_unread); use
    /// [`finish_with_late`](Self::finish_with_late) to keep them.
    ///
    /// Never deadlocks on unread results: until a handle is taken, a core
    /// whose outbox is full keeps the overflow and goes on.
    pub fn finish_into(mut self, buf: &mut Vec<P::Out>) -> Result<Report, RuntimeError> {
        self.late.detach_if_collecting();
        self.begin_finish();
        let mut late_unread = vec![0u64; self.cores()];
        let exits = self.wait(|rt| {
            rt.drain(buf);
            rt.late.count_unread(&mut late_unread);
        });
        let mut reports = Vec::with_capacity(exits.len());
        for (core, exit) in exits.into_iter().enumerate() {
            // After everything the core's ring held: the overflow is newer.
            buf.extend(exit.spill);
            late_unread[core] += exit.late_spill.len() as u64;
            reports.push(exit.report);
        }
        self.report(reports, &[], &late_unread)
    }

    /// Like [`finish_into`](Self::finish_into), and appends the late events
    /// not yet read to `late`.
    pub fn finish_with_late(
        mut self,
        buf: &mut Vec<P::Out>,
        late: &mut Vec<P::In>,
    ) -> Result<Report, RuntimeError> {
        self.begin_finish();
        let exits = self.wait(|rt| {
            rt.drain(buf);
            rt.drain_late(late);
        });
        let mut reports = Vec::with_capacity(exits.len());
        for exit in exits {
            buf.extend(exit.spill);
            late.extend(exit.late_spill);
            reports.push(exit.report);
        }
        self.report(reports, &[], &[])
    }

    /// Like [`finish_into`](Self::finish_into) for pipelines whose results
    /// leave through their own terminal stage, or whose results were read
    /// through [`output`](Self::output). Results and late events nobody read
    /// are discarded, each counted in its core's
    /// [`outputs_unread`](crate::CoreReport::outputs_unread) or
    /// [`late_unread`](crate::CoreReport::late_unread).
    pub fn finish(mut self) -> Result<Report, RuntimeError> {
        self.outputs.detach_if_collecting();
        self.late.detach_if_collecting();
        self.begin_finish();
        let cores = self.cores();
        let mut unread = vec![0u64; cores];
        let mut late_unread = vec![0u64; cores];
        let exits = self.wait(|rt| {
            rt.outputs.count_unread(&mut unread);
            rt.late.count_unread(&mut late_unread);
        });
        let mut reports = Vec::with_capacity(exits.len());
        for (core, exit) in exits.into_iter().enumerate() {
            unread[core] += exit.spill.len() as u64;
            late_unread[core] += exit.late_spill.len() as u64;
            reports.push(exit.report);
        }
        self.report(reports, &unread, &late_unread)
    }

    /// Closes the inputs. The checkpoint thread goes on while the sources
    /// run, and stops once they are done; then the run's last checkpoint
    /// (the one each core takes as its chain ends) is numbered, in
    /// [`number_last_checkpoint`](Self::number_last_checkpoint).
    fn begin_finish(&mut self) {
        self.shared.close_all();
    }

    /// Once the sources are done and the checkpoint thread has stopped,
    /// numbers the run's last checkpoint, which the cores wait for as their
    /// chains end.
    fn number_last_checkpoint(&mut self) {
        use std::sync::atomic::Ordering::{Acquire, Release};
        let shared = &self.shared;
        if !shared.keeps_checkpoints
            || shared.final_epoch.load(Acquire) != 0
            || shared.is_cancelled()
            || !(self.sources_done() || shared.is_failed())
        {
            return;
        }
        if let Some((_, ticker)) = &self.ticker
            && !ticker.is_finished()
        {
            return;
        }
        self.stop_ticker();
        let last = self
            .coordinator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .next_epoch();
        match last {
            Ok(last) => self.shared.final_epoch.store(last, Release),
            Err(e) => self.shared.fail(0, Cause::Checkpoint(e)),
        }
        for core in &self.shared.cores {
            core.waker.wake();
        }
    }

    fn stop_ticker(&mut self) {
        if let Some((stop, ticker)) = self.ticker.take() {
            stop.store(true, std::sync::atomic::Ordering::Release);
            let _ = ticker.join();
        }
    }

    /// The run's last checkpoint, once every core ended and took it: the
    /// manifest, the sink's commits, the mark.
    fn final_checkpoint(&mut self) {
        use std::sync::atomic::Ordering::{AcqRel, Acquire};
        if self.shared.is_failed() {
            // What a core prepared for a checkpoint that did not complete,
            // reported after the checkpoint gave up on it, is rolled back
            // too.
            let left = collect_acks(&self.shared, None);
            self.coordinator
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .abort(&left);
            return;
        }
        let epoch = self.shared.final_epoch.load(Acquire);
        if epoch == 0 {
            return;
        }
        let acks = collect_acks(&self.shared, Some(epoch));
        let mut c = self
            .coordinator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if acks.len() != self.shared.cores.len() {
            c.abort(&acks);
            return;
        }
        match c.complete(epoch, acks, true) {
            Ok(()) => {
                self.shared.checkpoints_done.fetch_add(1, AcqRel);
            }
            Err(e) => self.shared.fail(0, Cause::Checkpoint(e)),
        }
    }

    /// Waits for every worker, calling `drain` meanwhile and once after.
    fn wait(&mut self, drain: impl FnMut(&mut Self)) -> Vec<WorkerExit<P::Out, P::In>> {
        // A failure found here is logged in the run's span.
        let trace = self.trace.clone();
        trace.in_run(|| self.wait_for_workers(drain))
    }

    fn wait_for_workers(
        &mut self,
        mut drain: impl FnMut(&mut Self),
    ) -> Vec<WorkerExit<P::Out, P::In>> {
        while self.threads.iter().any(|t| !t.is_finished()) {
            self.number_last_checkpoint();
            drain(self);
            std::thread::sleep(Duration::from_micros(50));
        }
        let mut exits = Vec::with_capacity(self.threads.len());
        for (core, t) in self.threads.drain(..).enumerate() {
            match t.join() {
                Ok(exit) => exits.push(exit),
                // Worker code catches user panics; this is one of our own.
                Err(_) => {
                    self.shared.fail(
                        core,
                        Cause::Panic("the worker thread itself panicked".to_owned()),
                    );
                    exits.push(WorkerExit {
                        report: CoreReport::new(core),
                        spill: Default::default(),
                        late_spill: Default::default(),
                    });
                }
            }
        }
        self.final_checkpoint();
        drain(self);
        exits
    }

    /// The final report from the workers' own and the ingress counts, or
    /// the first failure with that report.
    fn report(
        &mut self,
        mut cores: Vec<CoreReport>,
        unread: &[u64],
        late_unread: &[u64],
    ) -> Result<Report, RuntimeError> {
        for c in &mut cores {
            let t = self.shared.ingress_totals(c.core);
            c.submitted = t.submitted;
            c.dropped = t.dropped;
            c.rejected = t.rejected;
            c.refused = t.refused;
            c.blocked = t.blocked;
            c.blocked_time = Duration::from_nanos(t.blocked_ns);
            c.credits_acquired = t.credits_acquired;
            c.credits_released = t.credits_released;
            // Every channel is closed, so no submit is under way: what was
            // queued and not consumed stayed in a ring when the core stopped.
            c.received = self.shared.exchanged_into(c.core);
            c.abandoned = (c.submitted + c.read + c.received)
                .saturating_sub(c.sent)
                .saturating_sub(c.events_in);
            c.outputs_unread += unread.get(c.core).copied().unwrap_or(0);
            c.late_unread += late_unread.get(c.core).copied().unwrap_or(0);
        }
        // What the output handles per port discarded (records of a dropped
        // handle's output) is known in total, not per core: core 0 carries
        // it.
        if let Some(first) = cores.first_mut() {
            first.outputs_unread += self
                .ports
                .discarded
                .load(std::sync::atomic::Ordering::Relaxed);
        }
        let report = Report {
            cores,
            warnings: self.warnings.clone(),
            elapsed: self.started.elapsed(),
            checkpoints: self
                .shared
                .checkpoints_done
                .load(std::sync::atomic::Ordering::Acquire),
            checkpoint_time: Duration::from_nanos(
                self.shared
                    .checkpoint_ns
                    .load(std::sync::atomic::Ordering::Acquire),
            ),
        };
        let result = match self.shared.take_failure() {
            None => Ok(report),
            Some((core, Cause::Panic(message))) => Err(RuntimeError::CorePanicked {
                core,
                message,
                report: Box::new(report),
            }),
            Some((core, Cause::State(source))) => Err(RuntimeError::State {
                core,
                source,
                report: Box::new(report),
            }),
            Some((core, Cause::Checkpoint(source))) => Err(RuntimeError::Checkpoint {
                core,
                source,
                report: Box::new(report),
            }),
        };
        self.trace.finished(&result);
        result
    }
}

impl<P: Pipeline> Drop for Runtime<P> {
    /// A runtime dropped without `finish` still stops and joins its cores;
    /// its unread results are dropped with it, and an output handle still
    /// alive gets what the cores had emitted and then ends.
    fn drop(&mut self) {
        if self.threads.is_empty() {
            return;
        }
        self.outputs.detach();
        self.late.detach();
        self.shared.cancel();
        self.stop_ticker();
        self.shared.close_all();
        let mut sink = vec![0u64; self.cores()];
        let _ = self.wait(|rt| {
            rt.outputs.count_unread(&mut sink);
            rt.late.count_unread(&mut sink);
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
