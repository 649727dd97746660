//! What the runtime, its workers and its input handles share: per core, the
//! waker, the credit pool and the registry of ingress channels; overall, the
//! close and failure flags.

use std::sync::Mutex;

use crate::channel::{self, ChannelShared, IngressTotals, Receiver, Sender};
use crate::config::Config;
use crate::credit::CreditPool;
use crate::idle::Waker;
use crate::source::BoxedSplit;
use crate::sync::{Arc, AtomicBool, Ordering};

/// Why a core stopped.
#[derive(Debug)]
pub(crate) enum Cause {
    /// User code panicked, with this message.
    Panic(String),
    /// State could not be written.
    State(crate::state::StateError),
    /// A checkpoint could not be written, or recovery could not restore
    /// one.
    Checkpoint(crate::CheckpointError),
}

pub(crate) struct CoreShared<T> {
    /// Shared with the exchanges' senders inside the operator chains
    /// (see [`Fabric`](crate::exchange::Fabric)).
    pub(crate) waker: Arc<Waker>,
    pool: Arc<CreditPool>,
    /// Every channel into this core, for closing and for the report.
    registry: Mutex<Vec<Arc<ChannelShared>>>,
    /// Channels from other cores into this one (exchanges), for the
    /// report; they close when their sending core is done, not at `finish`.
    exchanges: Mutex<Vec<Arc<ChannelShared>>>,
    /// Receivers made since the worker last looked.
    pending: Mutex<Vec<Receiver<T>>>,
    /// Source splits attached since the worker last looked.
    pending_sources: Mutex<Vec<PendingSource<T>>>,
    pub(crate) has_pending: AtomicBool,
    /// What the core last published of its progress.
    pub(crate) live: crate::progress::Live,
    /// The last checkpoint barrier the core's whole chain is through.
    checkpointed: std::sync::atomic::AtomicU64,
    /// The last checkpoint barrier that entered the core's chain: its
    /// sources wait for every core's before they read on, so that no event
    /// read after a barrier reaches a core that has not taken it in yet.
    pub(crate) injected: std::sync::atomic::AtomicU64,
    /// What the core reported for the last checkpoint it went through.
    pub(crate) ack: Mutex<Option<crate::checkpoint::CoreAck>>,
    /// The worker has stopped.
    pub(crate) exited: AtomicBool,
}

impl<T> CoreShared<T> {
    /// The core's chain is through checkpoint barrier `epoch`.
    #[inline]
    pub(crate) fn through_checkpoint(&self, epoch: u64) {
        if epoch > self.checkpointed.load(Ordering::Relaxed) {
            self.checkpointed.store(epoch, Ordering::Release);
        }
    }

    /// The last checkpoint barrier the core's chain is through.
    pub(crate) fn checkpointed(&self) -> u64 {
        self.checkpointed.load(Ordering::Acquire)
    }
}

/// A split for a core to read, with its channels to the other cores when
/// the pipeline's events may belong elsewhere.
pub(crate) struct PendingSource<T> {
    pub(crate) split: BoxedSplit<T>,
    /// The source's number (the order it was attached in), under which a
    /// checkpoint records its positions.
    pub(crate) source: u32,
    pub(crate) exchange: Option<Vec<Option<Sender<T>>>>,
}

pub(crate) struct Shared<T> {
    pub(crate) cores: Vec<CoreShared<T>>,
    pub(crate) config: Config,
    /// Set by `finish` before it closes the channels: no new channel opens.
    pub(crate) closing: AtomicBool,
    /// Set by `finish` after every channel is closed: workers may end.
    pub(crate) closed: AtomicBool,
    failed: AtomicBool,
    /// Set when the runtime is dropped without `finish`: cores stop reading
    /// their sources.
    cancelled: AtomicBool,
    /// Splits attached and not yet ended (or dropped).
    pub(crate) sources_live: crate::sync::AtomicUsize,
    /// The last checkpoint asked for: each core sends its barrier into its
    /// chain when it sees it.
    pub(crate) checkpoint_requested: std::sync::atomic::AtomicU64,
    /// Where each core writes its snapshots (checkpoints are kept).
    pub(crate) checkpoint_dir: Option<crate::checkpoint::CheckpointDir>,
    /// Whether barriers take snapshots and pre-commit the sinks (a
    /// checkpoint directory or a sink), not only pass through.
    pub(crate) keeps_checkpoints: bool,
    /// The checkpoint a core takes as its chain ends (its last results
    /// pre-committed, its sources' final positions); 0 while the run is
    /// not finishing.
    pub(crate) final_epoch: std::sync::atomic::AtomicU64,
    /// Checkpoints completed.
    pub(crate) checkpoints_done: std::sync::atomic::AtomicU64,
    /// Their time, summed, in nanoseconds.
    pub(crate) checkpoint_ns: std::sync::atomic::AtomicU64,
    failure: Mutex<Option<(usize, Cause)>>,
}

impl<T> Shared<T> {
    /// The state of a run on `config.cores` cores, woken through `wakers`
    /// (one per core).
    pub(crate) fn new(config: Config, wakers: &[Arc<Waker>]) -> Self {
        let cap = config.queue_capacity.next_power_of_two();
        let cores = (0..config.cores)
            .map(|core| CoreShared {
                waker: wakers[core].clone(),
                pool: CreditPool::new(cap, cap / 4, cap / 2),
                registry: Mutex::new(Vec::new()),
                exchanges: Mutex::new(Vec::new()),
                pending: Mutex::new(Vec::new()),
                pending_sources: Mutex::new(Vec::new()),
                has_pending: AtomicBool::new(false),
                live: Default::default(),
                checkpointed: std::sync::atomic::AtomicU64::new(0),
                injected: std::sync::atomic::AtomicU64::new(0),
                ack: Mutex::new(None),
                exited: AtomicBool::new(false),
            })
            .collect();
        Shared {
            cores,
            config,
            closing: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            cancelled: AtomicBool::new(false),
            sources_live: crate::sync::AtomicUsize::new(0),
            checkpoint_requested: std::sync::atomic::AtomicU64::new(0),
            checkpoint_dir: None,
            keeps_checkpoints: false,
            final_epoch: std::sync::atomic::AtomicU64::new(0),
            checkpoints_done: std::sync::atomic::AtomicU64::new(0),
            checkpoint_ns: std::sync::atomic::AtomicU64::new(0),
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

    /// Opens a channel from another core into `core`, for an exchange. It
    /// is not closed by `finish`: its sender closes it when its source is
    /// done, and the receiving core waits for that. The receiver goes to
    /// the core with its own split, in [`add_source`](Self::add_source).
    pub(crate) fn open_exchange(&self, core: usize) -> (Sender<T>, Receiver<T>) {
        let c = &self.cores[core];
        let cap = self.config.queue_capacity;
        let (tx, mut rx) = channel::channel(cap, cap / 2, c.pool.clone(), false);
        rx.exchange = true;
        c.exchanges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx.shared.clone());
        (tx, rx)
    }

    /// Hands `core` a split to read, and the channels other cores' splits
    /// of the same source send it. The worker takes them in one step: a
    /// core that saw the channels without its own split could let their
    /// watermarks pass the split's first events, and one that saw its
    /// split without the channels could let the split's watermark pass
    /// the channels' first events.
    pub(crate) fn add_source(&self, core: usize, source: PendingSource<T>, from: Vec<Receiver<T>>) {
        let c = &self.cores[core];
        self.sources_live.fetch_add(1, Ordering::AcqRel);
        let mut pending = c.pending.lock().unwrap_or_else(|e| e.into_inner());
        let mut sources = c.pending_sources.lock().unwrap_or_else(|e| e.into_inner());
        pending.extend(from);
        sources.push(source);
        c.has_pending.store(true, Ordering::Release);
        drop(sources);
        drop(pending);
        c.waker.wake();
    }

    /// Worker side: new receivers and splits for `core`, taken together
    /// (see [`add_source`](Self::add_source)).
    pub(crate) fn take_pending(
        &self,
        core: usize,
        into: &mut Vec<Receiver<T>>,
        sources: &mut Vec<PendingSource<T>>,
    ) {
        let c = &self.cores[core];
        if c.has_pending.swap(false, Ordering::AcqRel) {
            let mut pending = c.pending.lock().unwrap_or_else(|e| e.into_inner());
            let mut new = c.pending_sources.lock().unwrap_or_else(|e| e.into_inner());
            into.append(&mut pending);
            sources.append(&mut new);
        }
    }

    /// Events other cores sent `core` through exchanges.
    pub(crate) fn exchanged_into(&self, core: usize) -> u64 {
        self.cores[core]
            .exchanges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|c| c.submitted.get())
            .sum()
    }

    /// Makes the cores drop their sources (a runtime dropped unfinished).
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.wake_all();
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
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
