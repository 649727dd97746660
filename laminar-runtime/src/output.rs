//! Output handles: the reading end of a pipeline's results (or of its late
//! events), one ring per core, owned by whichever thread reads.
//!
//! An output is in one of three modes, and the mode decides what a worker
//! does when the output's ring is full:
//!
//! - **Collect** (no handle taken): the worker keeps the overflow in a
//!   growable buffer of its own and goes on, so that submitting everything
//!   and then calling `finish_into` never deadlocks, whatever the number of
//!   results. `finish_into` appends the overflow after the ring's contents.
//!   Memory grows with what is not read. While someone calls
//!   [`Runtime::drain`](crate::Runtime::drain), a full ring waits for them
//!   instead (at most one park each time nobody drained since), which
//!   costs less than copying results through the overflow.
//! - **Handle** ([`Runtime::output`](crate::Runtime::output) was taken): the
//!   worker waits for the reader, so a slow reader slows the pipeline down
//!   (backpressure up to the submitters), and memory stays bounded.
//! - **Detached** (the handle was dropped, or `finish` was called without a
//!   buffer): the worker discards what does not fit and counts it in
//!   [`CoreReport::outputs_unread`](crate::CoreReport::outputs_unread) (or
//!   `late_unread`), so an abandoned reader never stalls the pipeline.

use core::fmt;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use crate::idle::Waker;
use crate::spsc::Consumer;
use crate::sync::{Arc, AtomicU8, AtomicUsize, Ordering};

// `Output` as a `futures_core::Stream`, with the `tokio` feature.
#[cfg(feature = "tokio")]
mod stream;

pub(crate) const COLLECT: u8 = 0;
pub(crate) const HANDLE: u8 = 1;
pub(crate) const DETACHED: u8 = 2;

/// Most items a reader takes from one ring at a time.
const READ_BATCH: usize = 256;

/// What the workers, the runtime and an output handle share about one
/// output.
pub(crate) struct OutputShared<T> {
    pub(crate) mode: AtomicU8,
    /// The rings, while no handle holds them.
    rings: Mutex<Option<Vec<Consumer<T>>>>,
    /// Wakes the reader when a worker publishes.
    pub(crate) reader: Waker,
    /// Per core: wakes a worker waiting for room.
    pub(crate) room: Box<[Waker]>,
    /// Workers that have published their last item.
    ended: AtomicUsize,
    /// Calls of `drain`: a worker whose ring is full waits for a reader
    /// that drains, and spills only when nobody does. On a line of its own:
    /// a polling drainer writes it on every call, and the worker reads the
    /// reader's waker on every publish.
    pub(crate) reads: CachePadded<AtomicU64>,
    /// Per core: items a dropped handle had taken from the ring and not
    /// handed out, counted as unread.
    dropped_unread: Box<[AtomicUsize]>,
    cores: usize,
}

impl<T> OutputShared<T> {
    pub(crate) fn new(rings: Vec<Consumer<T>>) -> Arc<Self> {
        let cores = rings.len();
        Arc::new(OutputShared {
            mode: AtomicU8::new(COLLECT),
            rings: Mutex::new(Some(rings)),
            reader: Waker::default(),
            room: (0..cores).map(|_| Waker::default()).collect(),
            ended: AtomicUsize::new(0),
            reads: CachePadded::new(AtomicU64::new(0)),
            dropped_unread: (0..cores).map(|_| AtomicUsize::new(0)).collect(),
            cores,
        })
    }

    /// A worker published its last item.
    pub(crate) fn end_one(&self) {
        self.ended.fetch_add(1, Ordering::AcqRel);
        self.reader.wake();
    }

    fn all_ended(&self) -> bool {
        self.ended.load(Ordering::Acquire) >= self.cores
    }

    /// Moves from collecting to discarding; no effect on a taken handle.
    pub(crate) fn detach_if_collecting(&self) {
        let _ = self
            .mode
            .compare_exchange(COLLECT, DETACHED, Ordering::AcqRel, Ordering::Acquire);
        self.wake_workers();
    }

    /// Discards on every full ring from now on (the runtime is dropped).
    pub(crate) fn detach(&self) {
        self.mode.store(DETACHED, Ordering::Release);
        self.wake_workers();
    }

    fn wake_workers(&self) {
        for w in self.room.iter() {
            w.wake();
        }
    }

    /// Moves what the rings hold now into `buf`, if no handle holds them.
    pub(crate) fn drain(&self, buf: &mut Vec<T>) -> usize {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let mut rings = self.rings.lock().unwrap_or_else(|e| e.into_inner());
        let Some(rings) = rings.as_mut() else {
            return 0;
        };
        drain_rings(rings, &self.room, buf)
    }

    /// Empties the rings, adding how many items each held to `counts`.
    pub(crate) fn count_unread(&self, counts: &mut [u64]) {
        for (n, d) in counts.iter_mut().zip(self.dropped_unread.iter()) {
            *n += d.swap(0, Ordering::AcqRel) as u64;
        }
        let mut rings = self.rings.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(rings) = rings.as_mut() {
            for (core, (rx, n)) in rings.iter_mut().zip(counts).enumerate() {
                *n += rx.pop_batch(usize::MAX).count() as u64;
                self.room[core].notify();
            }
        }
    }
}

/// Moves everything `rings` hold now into `buf`, and tells each core's
/// worker waiting for room that it has some; returns how many.
fn drain_rings<T>(rings: &mut [Consumer<T>], room: &[Waker], buf: &mut Vec<T>) -> usize {
    let before = buf.len();
    for (rx, room) in rings.iter_mut().zip(room) {
        let n = buf.len();
        buf.extend(rx.pop_batch(usize::MAX));
        if buf.len() > n {
            room.notify();
        }
    }
    buf.len() - before
}

/// Hands the rings of `shared` to a new handle, once: a handle dropped
/// gives its rings back for counting, not for a second handle. (A free
/// function: under loom, `Arc` is not a method receiver.)
pub(crate) fn take<T>(shared: &Arc<OutputShared<T>>) -> Result<Output<T>, OutputTaken> {
    let mut slot = shared.rings.lock().unwrap_or_else(|e| e.into_inner());
    if shared.mode.load(Ordering::Acquire) != COLLECT {
        return Err(OutputTaken);
    }
    let rings = slot.take().ok_or(OutputTaken)?;
    shared.mode.store(HANDLE, Ordering::Release);
    Ok(Output {
        rings,
        shared: shared.clone(),
        buf: VecDeque::new(),
        buf_core: 0,
        next: 0,
        reader_thread: None,
    })
}

/// The reading end of one output of a running pipeline: its results
/// ([`Runtime::output`](crate::Runtime::output)) or its late events
/// ([`Runtime::late_output`](crate::Runtime::late_output)).
///
/// Any thread can own it. Once taken, the pipeline waits for it: a reader
/// that falls behind slows the workers, and through them the submitters
/// (under [`Policy::Block`](crate::Policy::Block)), so memory stays bounded.
/// It ends ([`RecvError`], or `None` from the iterator) once every core has
/// finished and everything was read: after `finish`, or after a failure.
///
/// **Dropping it** detaches the output: from then on results that do not
/// fit in a core's outbox are discarded and counted in
/// [`CoreReport::outputs_unread`](crate::CoreReport::outputs_unread), so an
/// abandoned reader never stalls the pipeline.
///
/// The service pattern, one thread submitting and another reading:
///
/// ```
/// # use laminar_runtime::{operator::{Emit, Operator}, pipeline::Pipeline, routing::RoundRobin, Runtime};
/// # struct Sq; impl Operator for Sq { type In = u64; type Out = u64;
/// #   fn on_event<E: Emit<u64>>(&mut self, e: u64, o: &mut E) { o.emit(e * e) } }
/// # struct P; impl Pipeline for P { type In = u64; type Out = u64; type Op = Sq; type Route = RoundRobin;
/// #   fn route(&self) -> RoundRobin { RoundRobin::default() } fn instantiate(&self, _: usize) -> Sq { Sq } }
/// let mut rt = Runtime::builder().cores(2).build(P)?;
/// let output = rt.output()?;
/// let reader = std::thread::spawn(move || output.sum::<u64>());
/// let mut input = rt.input();
/// input.submit_iter(1..=1000)?;
/// drop(input);
/// let report = rt.finish()?; // the reader ends when the cores do
/// assert_eq!(reader.join().unwrap(), (1..=1000u64).map(|x| x * x).sum::<u64>());
/// assert_eq!(report.events_out(), 1000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Output<T> {
    rings: Vec<Consumer<T>>,
    shared: Arc<OutputShared<T>>,
    /// Taken from one ring, not yet handed out.
    buf: VecDeque<T>,
    /// The core whose ring `buf` came from.
    buf_core: usize,
    /// The ring to look at first.
    next: usize,
    /// The thread registered to be woken, as last registered from here.
    reader_thread: Option<std::thread::ThreadId>,
}

impl<T> Output<T> {
    /// Moves up to one batch from the next ring with items into `buf`,
    /// which is empty.
    fn refill(&mut self) -> bool {
        let n = self.rings.len();
        for i in 0..n {
            let core = (self.next + i) % n;
            let rx = &mut self.rings[core];
            let before = self.buf.len();
            self.buf.extend(rx.pop_batch(READ_BATCH));
            if self.buf.len() > before {
                // One wake-up check per batch: a worker waiting for room
                // has some now.
                self.shared.room[core].notify();
                self.buf_core = core;
                self.next = (core + 1) % n;
                return true;
            }
        }
        false
    }

    fn has_items(&mut self) -> bool {
        !self.buf.is_empty() || self.rings.iter_mut().any(|r| !r.is_empty())
    }

    /// A result if one is ready now.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if let Some(x) = self.buf.pop_front() {
            return Ok(x);
        }
        // Read before looking at the rings: every item of a core that had
        // ended by then is visible to the look.
        let ended = self.shared.all_ended();
        if self.refill()
            && let Some(x) = self.buf.pop_front()
        {
            return Ok(x);
        }
        Err(if ended {
            TryRecvError::Ended
        } else {
            TryRecvError::Empty
        })
    }

    /// Waits for the next result; `Err` once the pipeline has ended and
    /// everything was read.
    pub fn recv(&mut self) -> Result<T, RecvError> {
        self.wait(None).map_err(|_| RecvError)
    }

    /// Like [`recv`](Self::recv), waiting at most `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.wait(Some(Instant::now() + timeout))
    }

    fn wait(&mut self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        let mut spins = 0u32;
        loop {
            match self.try_recv() {
                Ok(x) => return Ok(x),
                Err(TryRecvError::Ended) => return Err(RecvTimeoutError::Ended),
                Err(TryRecvError::Empty) => {}
            }
            let now = Instant::now();
            let left = match deadline {
                Some(d) if now >= d => return Err(RecvTimeoutError::Timeout),
                Some(d) => (d - now).min(crate::idle::PARK_TIMEOUT),
                None => crate::idle::PARK_TIMEOUT,
            };
            if spins < crate::idle::SPINS_BEFORE_PARK {
                spins += 1;
                core::hint::spin_loop();
                continue;
            }
            let me = std::thread::current().id();
            if self.reader_thread != Some(me) {
                self.shared.reader.register_current();
                self.reader_thread = Some(me);
            }
            let shared = self.shared.clone();
            shared
                .reader
                .sleep_unless(left, || shared.all_ended() || self.has_items());
        }
    }

    /// Moves every result ready now into `buf`, without waiting; returns
    /// how many.
    pub fn drain_into(&mut self, buf: &mut Vec<T>) -> usize {
        let taken = self.buf.len();
        buf.extend(self.buf.drain(..));
        taken + drain_rings(&mut self.rings, &self.shared.room, buf)
    }

    /// True once every core has finished and everything was read.
    pub fn is_ended(&mut self) -> bool {
        self.shared.all_ended() && !self.has_items()
    }
}

impl<T> Iterator for Output<T> {
    type Item = T;

    /// Waits for the next result; `None` once the pipeline has ended.
    fn next(&mut self) -> Option<T> {
        self.recv().ok()
    }
}

impl<T> Drop for Output<T> {
    fn drop(&mut self) {
        self.shared.detach();
        // The rings go back, so that `finish` counts what is left in them.
        let rings = std::mem::take(&mut self.rings);
        let mut slot = self.shared.rings.lock().unwrap_or_else(|e| e.into_inner());
        *slot = Some(rings);
        drop(slot);
        // What this handle had taken and not handed out counts as unread.
        if let Some(d) = self.shared.dropped_unread.get(self.buf_core) {
            d.fetch_add(self.buf.len(), Ordering::AcqRel);
        }
    }
}

impl<T> fmt::Debug for Output<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Output")
            .field("cores", &self.rings.len())
            .field("buffered", &self.buf.len())
            .finish_non_exhaustive()
    }
}

/// [`Runtime::output`](crate::Runtime::output) or
/// [`late_output`](crate::Runtime::late_output) was called a second time:
/// each output has one handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("this output's handle was already taken; each output has one reader")]
pub struct OutputTaken;

/// [`Output::recv`]: the pipeline has ended and every result was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the pipeline has ended and every result was read")]
pub struct RecvError;

/// Why [`Output::try_recv`] returned nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TryRecvError {
    /// Nothing is ready now; more may come.
    #[error("no result is ready now")]
    Empty,
    /// The pipeline has ended and every result was read.
    #[error("the pipeline has ended and every result was read")]
    Ended,
}

/// Why [`Output::recv_timeout`] returned nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecvTimeoutError {
    /// Nothing came within the timeout; more may come.
    #[error("no result came within the timeout")]
    Timeout,
    /// The pipeline has ended and every result was read.
    #[error("the pipeline has ended and every result was read")]
    Ended,
}
