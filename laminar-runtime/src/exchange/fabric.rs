//! The channels of a run's mid-pipeline exchanges: for each exchange, an
//! n×n mesh of SPSC channels (one from every core to every other; a core's
//! own events take the local path), made when the first core's chain opens
//! that exchange, and handed out row by row as each core's chain opens it.
//!
//! Exchanges are matched across cores by the order in which a chain opens
//! them: every core's chain is an instance of one pipeline, so the `n`-th
//! exchange a core opens is the `n`-th of every other core.

use std::any::Any;
use std::sync::Mutex;

use crate::channel::{self, Receiver, Sender};
use crate::credit::CreditPool;
use crate::idle::Waker;
use crate::state::StateError;
use crate::sync::Arc;

/// The exchanges of one run, shared by its cores' chains while they open.
/// Opaque: chains reach it through [`OpenContext`](crate::operator::OpenContext).
pub struct Fabric {
    cores: usize,
    capacity: usize,
    wakers: Vec<Arc<Waker>>,
    /// Per core, whether it has a source split still being read: the other
    /// cores' sources align with its stream into their exchanges only
    /// then (a core with nothing left to read has no pace to keep).
    reading: Vec<crate::sync::AtomicBool>,
    inner: Mutex<Inner>,
}

struct Inner {
    /// Per exchange, its mesh, with the ends no core has taken yet.
    meshes: Vec<(Box<dyn Any + Send>, &'static str)>,
    /// Per core, how many exchanges its chain has opened.
    opened: Vec<usize>,
}

impl core::fmt::Debug for Fabric {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Fabric")
            .field("cores", &self.cores)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

/// One exchange's channels: `senders[from][to]`, `receivers[to][from]`.
struct Mesh<T> {
    senders: Vec<Vec<Option<Sender<T>>>>,
    receivers: Vec<Vec<Option<Receiver<T>>>>,
}

/// What one core gets of an exchange.
pub(crate) struct Ends<T> {
    /// Per destination core; `None` for the core itself.
    pub(crate) senders: Vec<Option<Sender<T>>>,
    /// From every other core, with its number.
    pub(crate) receivers: Vec<(usize, Receiver<T>)>,
}

impl Fabric {
    /// The exchanges of a run on `wakers.len()` cores, with rings of
    /// `capacity` messages.
    pub(crate) fn new(capacity: usize, wakers: Vec<Arc<Waker>>) -> Arc<Self> {
        let cores = wakers.len();
        Arc::new(Fabric {
            cores,
            capacity,
            wakers,
            reading: (0..cores)
                .map(|_| crate::sync::AtomicBool::new(false))
                .collect(),
            inner: Mutex::new(Inner {
                meshes: Vec::new(),
                opened: vec![0; cores],
            }),
        })
    }

    /// A fabric for one core, whose exchanges keep everything local.
    pub(crate) fn single() -> Arc<Self> {
        Fabric::new(2, vec![Arc::new(Waker::default())])
    }

    /// Cores of the run.
    pub(crate) fn cores(&self) -> usize {
        self.cores
    }

    /// Wakes `core` if it sleeps, after something was published to it.
    #[inline]
    pub(crate) fn wake(&self, core: usize) {
        self.wakers[core].notify();
    }

    /// Says whether `core` has a split still being read.
    pub(crate) fn set_reading(&self, core: usize, reading: bool) {
        self.reading[core].store(reading, crate::sync::Ordering::Release);
    }

    /// Whether `core` has a split still being read.
    #[inline]
    pub(crate) fn is_reading(&self, core: usize) -> bool {
        self.reading[core].load(crate::sync::Ordering::Acquire)
    }

    /// Core `core`'s ends of the next exchange its chain opens.
    pub(crate) fn join<T: Send + 'static>(&self, core: usize) -> Result<Ends<T>, StateError> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let index = inner.opened[core];
        inner.opened[core] += 1;
        if inner.meshes.len() == index {
            let mesh = self.mesh::<T>();
            inner
                .meshes
                .push((Box::new(mesh), core::any::type_name::<T>()));
        }
        let (mesh, other) = &mut inner.meshes[index];
        let other = *other;
        let Some(mesh) = mesh.downcast_mut::<Mesh<T>>() else {
            return Err(StateError::ExchangeMismatch {
                index,
                now: core::any::type_name::<T>(),
                other,
            });
        };
        Ok(Ends {
            senders: mesh.senders[core].iter_mut().map(Option::take).collect(),
            receivers: mesh.receivers[core]
                .iter_mut()
                .enumerate()
                .filter_map(|(from, rx)| Some((from, rx.take()?)))
                .collect(),
        })
    }

    /// A fresh mesh. The channels into one core share that core's credit
    /// pool, as its ingress channels do.
    fn mesh<T: Send + 'static>(&self) -> Mesh<T> {
        let n = self.cores;
        let cap = self.capacity;
        let mut senders: Vec<Vec<Option<Sender<T>>>> =
            (0..n).map(|_| (0..n).map(|_| None).collect()).collect();
        let mut receivers: Vec<Vec<Option<Receiver<T>>>> =
            (0..n).map(|_| (0..n).map(|_| None).collect()).collect();
        for to in 0..n {
            let pool = CreditPool::new(cap.next_power_of_two(), cap / 4, cap / 2);
            for from in (0..n).filter(|&from| from != to) {
                let (tx, rx) = channel::channel(cap, cap / 2, pool.clone(), false);
                senders[from][to] = Some(tx);
                receivers[to][from] = Some(rx);
            }
        }
        Mesh { senders, receivers }
    }
}
