//! One handle per output of a pipeline with several (`(a, b)` at the end
//! of a `stream!`): the pipeline's output is the sum of its outputs, a
//! nest of [`Either`](crate::port::Either), and each [`PortOutput`] reads
//! the records of one, typed as that output's.
//!
//! The handles share the pipeline's [`Output`]: the one that reads a
//! record of another output keeps it for that output's handle. A record of
//! an output whose handle is not taken yet waits for it (as results wait
//! for the output handle before it is taken); a record of an output whose
//! handle was dropped is discarded and counted in the report's
//! `outputs_unread`, so no handle stalls the others.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use core::any::TypeId;
use core::marker::PhantomData;

use crate::output::{Output, RecvError, RecvTimeoutError, TryRecvError};
use crate::port::Port;

/// How long a handle waiting for records holds the shared output before it
/// lets another handle read.
const SLICE: Duration = Duration::from_millis(1);

/// The shared output and what was read for each port.
pub(crate) struct Demux<T> {
    state: Mutex<State<T>>,
    /// Records discarded: of dropped handles' outputs, and whatever waits
    /// when the last handle goes. The runtime adds it to the report.
    discarded: Arc<AtomicU64>,
}

struct State<T> {
    output: Output<T>,
    ports: Vec<Slot<T>>,
    /// Records of outputs whose handle is not taken yet.
    waiting: VecDeque<T>,
}

struct Slot<T> {
    port: TypeId,
    holds: fn(&T) -> bool,
    queue: VecDeque<T>,
    open: bool,
}

impl<T> Demux<T> {
    pub(crate) fn new(output: Output<T>, discarded: Arc<AtomicU64>) -> Arc<Self> {
        Arc::new(Demux {
            state: Mutex::new(State {
                output,
                ports: Vec::new(),
                waiting: VecDeque::new(),
            }),
            discarded,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A reader that panicked left whole records behind, never half
        // ones: the state stays usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The slot of port `Ix`, made (taking its waiting records) on first
    /// use; `None` if its handle was taken before.
    pub(crate) fn open<E, Ix: 'static>(&self) -> Option<usize>
    where
        T: Port<E, Ix>,
    {
        let mut state = self.lock();
        let port = TypeId::of::<Ix>();
        if state.ports.iter().any(|s| s.port == port) {
            return None;
        }
        let holds = <T as Port<E, Ix>>::holds;
        let (mine, rest): (VecDeque<T>, VecDeque<T>) = state.waiting.drain(..).partition(holds);
        state.waiting = rest;
        state.ports.push(Slot {
            port,
            holds,
            queue: mine,
            open: true,
        });
        Some(state.ports.len() - 1)
    }
}

impl<T> State<T> {
    /// Files a record read from the output under its port.
    fn file(&mut self, t: T, discarded: &AtomicU64) {
        match self.ports.iter_mut().find(|s| (s.holds)(&t)) {
            Some(slot) if slot.open => slot.queue.push_back(t),
            Some(_) => {
                discarded.fetch_add(1, Ordering::Relaxed);
            }
            None => self.waiting.push_back(t),
        }
    }
}

/// The handle of one output of a pipeline with several: records of type
/// `E`, read from any thread. Made by
/// [`Runtime::output_port`](crate::Runtime::output_port).
pub struct PortOutput<E, Ix, T> {
    demux: Arc<Demux<T>>,
    slot: usize,
    _port: PhantomData<fn() -> (E, Ix)>,
}

impl<E, Ix, T> PortOutput<E, Ix, T>
where
    T: Port<E, Ix>,
{
    pub(crate) fn new(demux: Arc<Demux<T>>, slot: usize) -> Self {
        PortOutput {
            demux,
            slot,
            _port: PhantomData,
        }
    }

    fn unwrap(t: T) -> E {
        match t.unwrap() {
            Ok(e) => e,
            Err(_) => unreachable!("a port's queue holds only its own records"),
        }
    }

    /// This output's next record, if one is ready.
    pub fn try_recv(&mut self) -> Result<E, TryRecvError> {
        let demux = &self.demux;
        let mut state = demux.lock();
        loop {
            if let Some(t) = state.ports[self.slot].queue.pop_front() {
                return Ok(Self::unwrap(t));
            }
            match state.output.try_recv() {
                Ok(t) => state.file(t, &demux.discarded),
                Err(e) => return Err(e),
            }
        }
    }

    /// This output's next record, waiting for it; `Err` once the pipeline
    /// has ended and every record of this output was read.
    pub fn recv(&mut self) -> Result<E, RecvError> {
        loop {
            match self.recv_timeout(SLICE) {
                Ok(e) => return Ok(e),
                Err(RecvTimeoutError::Ended) => return Err(RecvError),
                // Lets the other handles read between slices.
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// [`recv`](Self::recv), giving up after `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<E, RecvTimeoutError> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let demux = &self.demux;
            let mut state = demux.lock();
            if let Some(t) = state.ports[self.slot].queue.pop_front() {
                return Ok(Self::unwrap(t));
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match state.output.recv_timeout(left.min(SLICE)) {
                Ok(t) => state.file(t, &demux.discarded),
                Err(RecvTimeoutError::Ended) => return Err(RecvTimeoutError::Ended),
                Err(RecvTimeoutError::Timeout) if left <= SLICE => {
                    return Err(RecvTimeoutError::Timeout);
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// Appends every record of this output that is ready to `buf`; returns
    /// how many.
    pub fn drain_into(&mut self, buf: &mut Vec<E>) -> usize {
        let demux = &self.demux;
        let mut state = demux.lock();
        let mut all = Vec::new();
        state.output.drain_into(&mut all);
        for t in all {
            state.file(t, &demux.discarded);
        }
        let queue = &mut state.ports[self.slot].queue;
        let n = queue.len();
        buf.extend(queue.drain(..).map(Self::unwrap));
        n
    }
}

impl<E, Ix, T: Port<E, Ix>> Iterator for PortOutput<E, Ix, T> {
    type Item = E;

    fn next(&mut self) -> Option<E> {
        self.recv().ok()
    }
}

impl<E, Ix, T> Drop for PortOutput<E, Ix, T> {
    fn drop(&mut self) {
        let demux = &self.demux;
        let mut state = demux.lock();
        let slot = &mut state.ports[self.slot];
        slot.open = false;
        let n = slot.queue.len() as u64;
        slot.queue.clear();
        demux.discarded.fetch_add(n, Ordering::Relaxed);
    }
}

impl<T> Drop for Demux<T> {
    fn drop(&mut self) {
        // The last handle is gone: what waits for a handle never comes to
        // one. (The output, dropped next, counts what is still in its
        // rings.)
        let state = self.lock();
        let held: usize =
            state.waiting.len() + state.ports.iter().map(|s| s.queue.len()).sum::<usize>();
        self.discarded.fetch_add(held as u64, Ordering::Relaxed);
    }
}

impl<E, Ix, T> core::fmt::Debug for PortOutput<E, Ix, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PortOutput")
    }
}

/// What the runtime keeps of the handles' shared output: enough to make
/// more handles, without keeping the output alive once every handle is
/// gone, and the count of what they discarded.
pub(crate) struct Ports<T> {
    pub(crate) demux: Option<Weak<Demux<T>>>,
    pub(crate) discarded: Arc<AtomicU64>,
}

impl<T> Default for Ports<T> {
    fn default() -> Self {
        Ports {
            demux: None,
            discarded: Arc::new(AtomicU64::new(0)),
        }
    }
}
