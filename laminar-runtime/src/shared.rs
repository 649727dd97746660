//! What the runtime, its workers and its input handles share: per core, the
//! waker, the credit pool and the registry of ingress channels; overall, the
//! close and failure flags.

use std::sync::Mutex;

use crate::channel::{self, ChannelShared, IngressTotals, Receiver, Sender};
use crate::config::Config;
use crate::credit::CreditPool;
use crate::idle::Waker;
use crate::sync::{Arc, AtomicBool, Ordering};

/// Why a core stopped.
#[derive(Debug)]
pub(crate) enum Cause {
    /// User code panicked, with this message.
    Panic(String),
    /// State could not be written.
    State(crate::state::StateError),
}

pub(crate) struct CoreShared<T> {
    pub(crate) waker: Waker,
    pool: Arc<CreditPool>,
    /// Every channel into this core, for closing and for the report.
    registry: Mutex<Vec<Arc<ChannelShared>>>,
    /// Receivers made since the worker last looked.
    pending: Mutex<Vec<Receiver<T>>>,
    pub(crate) has_pending: AtomicBool,
}

pub(crate) struct Shared<T> {
    pub(crate) cores: Vec<CoreShared<T>>,
    pub(crate) config: Config,
    /// Set by `finish` before it closes the channels: no new channel opens.
    closing: AtomicBool,
    /// Set by `finish` after every channel is closed: workers may end.
    pub(crate) closed: AtomicBool,
    failed: AtomicBool,
    failure: Mutex<Option<(usize, Cause)>>,
}

impl<T> Shared<T> {
    pub(crate) fn new(config: Config) -> Self {
        let cap = config.queue_capacity.next_power_of_two();
        let cores = (0..config.cores)
            .map(|_| CoreShared {
                waker: Waker::default(),
                pool: CreditPool::new(cap, cap / 4, cap / 2),
                registry: Mutex::new(Vec::new()),
                pending: Mutex::new(Vec::new()),
                has_pending: AtomicBool::new(false),
            })
            .collect();
        Shared {
            cores,
            config,
            closing: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            failure: Mutex::new(None),
        }
    }

    /// Opens a channel into `core` and hands its receiver to that core's
    /// worker. After `finish` began, the channel is born closed.
    pub(crate) fn open_channel(&self, core: usize) -> Sender<T> {
        let c = &self.cores[core];
        let cap = self.config.queue_capacity;
        let mut registry = c.registry.lock().unwrap_or_else(|e| e.into_inner());
        let closed = self.closing.load(Ordering::SeqCst);
        let (tx, rx) = channel::channel(cap, cap / 2, c.pool.clone(), closed);
        registry.push(tx.shared.clone());
        drop(registry);
        if !closed {
            c.pending.lock().unwrap_or_else(|e| e.into_inner()).push(rx);
            c.has_pending.store(true, Ordering::Release);
            c.waker.wake();
        }
        tx
    }

    /// Worker side: new receivers for `core`.
    pub(crate) fn take_pending(&self, core: usize, into: &mut Vec<Receiver<T>>) {
        let c = &self.cores[core];
        if c.has_pending.swap(false, Ordering::AcqRel) {
            into.append(&mut c.pending.lock().unwrap_or_else(|e| e.into_inner()));
        }
    }

    /// Closes every channel; each worker then drains and ends.
    pub(crate) fn close_all(&self) {
        self.closing.store(true, Ordering::SeqCst);
        for c in &self.cores {
            let registry = c.registry.lock().unwrap_or_else(|e| e.into_inner());
            for ch in registry.iter() {
                ch.close();
            }
        }
        self.closed.store(true, Ordering::SeqCst);
        self.wake_all();
    }

    pub(crate) fn wake_all(&self) {
        for c in &self.cores {
            c.waker.wake();
        }
    }

    /// Whether `finish` (or a drop) has begun closing the channels.
    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// Whether a sender blocked on credit should give up: the runtime
    /// failed, or it is closing. Giving up on closing is needed because
    /// `close_all` waits for every channel to leave `BUSY`, and a sender
    /// blocked on credit holds its channel `BUSY` until a core frees some;
    /// a core stuck on a full outbox frees none until `finish` drains the
    /// outboxes, which it does only after `close_all`: without this the
    /// three wait on each other forever.
    pub(crate) fn stop_waiting(&self) -> bool {
        self.is_failed() || self.is_closing()
    }

    pub(crate) fn is_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// Records the first failure and stops everyone.
    pub(crate) fn fail(&self, core: usize, cause: Cause) {
        crate::trace::core_failed(core, &cause);
        let mut slot = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some((core, cause));
        }
        drop(slot);
        self.failed.store(true, Ordering::Release);
        self.wake_all();
    }

    /// The first failure, taken once.
    pub(crate) fn take_failure(&self) -> Option<(usize, Cause)> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    pub(crate) fn ingress_totals(&self, core: usize) -> IngressTotals {
        let mut t = IngressTotals::default();
        for ch in self.cores[core]
            .registry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            t.add(ch);
        }
        t
    }
}
