//! Stateful stages: per key, with the key's state in the stage's
//! [`KeyedStore`] on the core that owns the key.
//!
//! - `reduce(|acc, event| acc')`: the state is the running value;
//! - `fold(init, |acc, event| acc')`: the state starts from `init`;
//! - `process(|key, event, state, out| ...)`: reads and writes the state
//!   (`None` deletes it), emits any number of results, and may set
//!   event-time timers that call `on_timer` when the watermark passes them.
//!
//! `reduce` and `fold` emit `(key, new value)` after every event. A store
//! that fails is reported through [`Emit::fail`]: the run stops and
//! `finish` says which core and why.

use core::hash::Hash;
use core::marker::PhantomData;

use crate::checkpoint::types_of;
use crate::key::KeyOf;
use crate::message::Timestamp;
use crate::operator::{Emit, OpenContext, Operator};
use crate::state::{Codec, KeyedStore, StateError, StateStore};
use crate::time::ProcessingClock;
use crate::timer::Timers;

/// What a `process` closure writes to: results, and timers for its key;
/// and where it reads the time.
#[derive(Debug)]
pub struct Collector<O> {
    out: Vec<O>,
    timers: Vec<Timestamp>,
    /// The stage's watermark, as of its last `on_watermark`.
    watermark: Timestamp,
    /// The processing clock the stage was opened with.
    clock: ProcessingClock,
}

impl<O> Collector<O> {
    fn new() -> Self {
        Collector {
            out: Vec::new(),
            timers: Vec::new(),
            watermark: 0,
            clock: ProcessingClock::Wall,
        }
    }

    /// The stage's watermark: no event older than this is still to come
    /// (in a `processing_time()` pipeline, the clock as of the core's last
    /// pass). At the end of input, when the remaining timers run, it is
    /// `u64::MAX`.
    #[inline]
    pub fn watermark(&self) -> Timestamp {
        self.watermark
    }

    /// The processing time now, in milliseconds: the wall clock in the
    /// runtime, the harness's clock in `laminar::testing`. A timer for "30 s
    /// from now" in a `processing_time()` pipeline is
    /// `out.set_timer(out.processing_time() + 30_000)`, and a test moves the
    /// harness's clock past it.
    #[inline]
    pub fn processing_time(&self) -> Timestamp {
        self.clock.now_ms()
    }

    /// Emits one result.
    #[inline]
    pub fn emit(&mut self, item: O) {
        self.out.push(item);
    }

    /// Calls `on_timer` for this key once the watermark reaches `at`.
    #[inline]
    pub fn set_timer(&mut self, at: Timestamp) {
        self.timers.push(at);
    }
}

/// Stores `value` under `key` and emits `(key, value)`: what `reduce` and
/// `fold` do after every event. A store failure is reported, not emitted.
#[inline]
fn put_and_emit<K, V, E>(store: &mut KeyedStore<K, V>, key: K, value: V, out: &mut E)
where
    K: Hash + Eq + Clone + Codec,
    V: Clone + Codec,
    E: Emit<(K, V)>,
{
    match store.put(key.clone(), value.clone()) {
        Ok(()) => out.emit((key, value)),
        Err(e) => out.fail(e),
    }
}

/// Flushes a stage's store at the end of input, reporting a failure.
fn flush<K, V, O, E>(store: &mut KeyedStore<K, V>, out: &mut E)
where
    K: Hash + Eq + Codec,
    V: Clone + Codec,
    E: Emit<O>,
{
    if let Err(e) = store.flush() {
        out.fail(e);
    }
}

/// Writes a stage's store to the checkpoint under way, if the run keeps
/// checkpoints (part 0: its values).
fn save_store<K, V, O, E>(store: &KeyedStore<K, V>, name: &'static str, out: &mut E)
where
    K: Hash + Eq + Codec,
    V: Clone + Codec,
    E: Emit<O>,
{
    let saved = match out.checkpoint() {
        None => return,
        Some(snap) => {
            let id = snap.stage(name, &types_of::<K, V>());
            store.save(snap, id, 0)
        }
    };
    if let Err(e) = saved {
        out.fail(e);
    }
}

/// Replaces a stage's store with its section of the checkpoint the run
/// recovers from, if it does.
fn restore_store<K, V>(
    store: &mut KeyedStore<K, V>,
    name: &'static str,
    cx: &OpenContext,
) -> Result<(), StateError>
where
    K: Hash + Eq + Codec,
    V: Clone + Codec,
{
    let Some(restored) = cx.restored() else {
        return Ok(());
    };
    match restored.stage(name, &types_of::<K, V>())? {
        Some(section) => store.load(section.decode(0)),
        None => store.load(core::iter::empty()),
    }
}

/// `reduce(|acc, event| acc')`.
pub struct Reduce<KF: KeyOf<T>, F, T> {
    key: KF,
    f: F,
    name: &'static str,
    store: KeyedStore<KF::Key, T>,
}

// By hand, without bounds: `F` is the user's closure.
impl<KF: KeyOf<T>, F, T> core::fmt::Debug for Reduce<KF, F, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Reduce")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<KF: KeyOf<T>, F, T> Reduce<KF, F, T> {
    /// A reduce stage called `name` (its state file's name).
    pub fn new(key: KF, f: F, name: &'static str) -> Self {
        Reduce {
            key,
            f,
            name,
            store: KeyedStore::default(),
        }
    }
}

impl<KF: KeyOf<T>, F: Clone, T> Clone for Reduce<KF, F, T> {
    /// Same closure, empty state.
    fn clone(&self) -> Self {
        Reduce::new(self.key.clone(), self.f.clone(), self.name)
    }
}

#[diagnostic::do_not_recommend]
impl<KF, F, T> Operator for Reduce<KF, F, T>
where
    KF: KeyOf<T, Key: Codec>,
    F: FnMut(T, T) -> T + Send + 'static,
    T: Clone + Codec + Send + 'static,
{
    type In = T;
    type Out = (KF::Key, T);

    #[inline]
    fn on_event<E: Emit<Self::Out>>(&mut self, event: T, out: &mut E) {
        let key = self.key.key(&event);
        let next = match self.store.get(&key) {
            Ok(Some(acc)) => (self.f)(acc, event),
            Ok(None) => event,
            Err(e) => return out.fail(e),
        };
        put_and_emit(&mut self.store, key, next, out);
    }

    fn on_end<E: Emit<Self::Out>>(&mut self, out: &mut E) {
        flush(&mut self.store, out);
    }

    fn on_barrier<E: Emit<Self::Out>>(&mut self, _epoch: u64, out: &mut E) {
        save_store(&self.store, self.name, out);
    }

    fn open(&mut self, cx: &OpenContext) -> Result<(), StateError> {
        self.store.open(cx, self.name)?;
        restore_store(&mut self.store, self.name, cx)
    }
}

/// `fold(init, |acc, event| acc')`.
pub struct Fold<KF: KeyOf<T>, F, T, A> {
    key: KF,
    init: A,
    f: F,
    name: &'static str,
    store: KeyedStore<KF::Key, A>,
    _events: PhantomData<fn(T)>,
}

// By hand, without bounds (see `Reduce`).
impl<KF: KeyOf<T>, F, T, A> core::fmt::Debug for Fold<KF, F, T, A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Fold")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<KF: KeyOf<T>, F, T, A> Fold<KF, F, T, A> {
    /// A fold stage called `name`, each key starting from `init`.
    pub fn new(key: KF, init: A, f: F, name: &'static str) -> Self {
        Fold {
            key,
            init,
            f,
            name,
            store: KeyedStore::default(),
            _events: PhantomData,
        }
    }
}

impl<KF: KeyOf<T>, F: Clone, T, A: Clone> Clone for Fold<KF, F, T, A> {
    /// Same closure and initial value, empty state.
    fn clone(&self) -> Self {
        Fold::new(
            self.key.clone(),
            self.init.clone(),
            self.f.clone(),
            self.name,
        )
    }
}

#[diagnostic::do_not_recommend]
impl<KF, F, T, A> Operator for Fold<KF, F, T, A>
where
    KF: KeyOf<T, Key: Codec>,
    F: FnMut(A, T) -> A + Send + 'static,
    T: Send + 'static,
    A: Clone + Codec + Send + 'static,
{
    type In = T;
    type Out = (KF::Key, A);

    #[inline]
    fn on_event<E: Emit<Self::Out>>(&mut self, event: T, out: &mut E) {
        let key = self.key.key(&event);
        let acc = match self.store.get(&key) {
            Ok(Some(acc)) => acc,
            Ok(None) => self.init.clone(),
            Err(e) => return out.fail(e),
        };
        let next = (self.f)(acc, event);
        put_and_emit(&mut self.store, key, next, out);
    }

    fn on_end<E: Emit<Self::Out>>(&mut self, out: &mut E) {
        flush(&mut self.store, out);
    }

    fn on_barrier<E: Emit<Self::Out>>(&mut self, _epoch: u64, out: &mut E) {
        save_store(&self.store, self.name, out);
    }

    fn open(&mut self, cx: &OpenContext) -> Result<(), StateError> {
        self.store.open(cx, self.name)?;
        restore_store(&mut self.store, self.name, cx)
    }
}

/// The `on_timer` of a `process` without one.
pub type NoTimer<K, V, O> = fn(&K, Timestamp, &mut Option<V>, &mut Collector<O>);

/// `process(|key, event, state, out| ..., on_timer = |key, at, state, out| ...)`.
pub struct Process<KF: KeyOf<T>, F, G, T, V, O> {
    key: KF,
    f: F,
    on_timer: Option<G>,
    name: &'static str,
    store: KeyedStore<KF::Key, V>,
    timers: Timers<KF::Key>,
    due: Vec<(Timestamp, KF::Key)>,
    collector: Collector<O>,
    _events: PhantomData<fn(T)>,
}

// By hand, without bounds (see `Reduce`).
impl<KF: KeyOf<T>, F, G, T, V, O> core::fmt::Debug for Process<KF, F, G, T, V, O> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Process")
            .field("name", &self.name)
            .field("timers", &self.timers.len())
            .finish_non_exhaustive()
    }
}

impl<KF: KeyOf<T>, F, G, T, V, O> Process<KF, F, G, T, V, O> {
    /// A process stage called `name`.
    pub fn new(key: KF, f: F, on_timer: Option<G>, name: &'static str) -> Self {
        Process {
            key,
            f,
            on_timer,
            name,
            store: KeyedStore::default(),
            timers: Timers::new(),
            due: Vec::new(),
            collector: Collector::new(),
            _events: PhantomData,
        }
    }
}

impl<KF: KeyOf<T>, F: Clone, G: Clone, T, V, O> Clone for Process<KF, F, G, T, V, O> {
    /// Same closures, empty state.
    fn clone(&self) -> Self {
        Process::new(
            self.key.clone(),
            self.f.clone(),
            self.on_timer.clone(),
            self.name,
        )
    }
}

impl<KF, F, G, T, V, O> Process<KF, F, G, T, V, O>
where
    KF: KeyOf<T, Key: Codec>,
    V: Clone + Codec,
{
    /// Writes the state back and hands the results and timers on.
    fn settle<E: Emit<O>>(&mut self, key: KF::Key, had: bool, state: Option<V>, out: &mut E) {
        let written = match state {
            Some(v) => self.store.put(key.clone(), v),
            None if had => self.store.delete(&key).map(drop),
            None => Ok(()),
        };
        // Timers only matter to a stage that has `on_timer`.
        let keep_timers = self.on_timer.is_some();
        for at in self.collector.timers.drain(..) {
            if keep_timers {
                self.timers.set(at, key.clone());
            }
        }
        for item in self.collector.out.drain(..) {
            out.emit(item);
        }
        if let Err(e) = written {
            out.fail(e);
        }
    }
}

#[diagnostic::do_not_recommend]
impl<KF, F, G, T, V, O> Operator for Process<KF, F, G, T, V, O>
where
    KF: KeyOf<T, Key: Codec>,
    F: FnMut(&KF::Key, T, &mut Option<V>, &mut Collector<O>) + Send + 'static,
    G: FnMut(&KF::Key, Timestamp, &mut Option<V>, &mut Collector<O>) + Send + 'static,
    T: Send + 'static,
    V: Clone + Codec + Send + 'static,
    O: Send + 'static,
{
    type In = T;
    type Out = O;

    #[inline]
    fn on_event<E: Emit<O>>(&mut self, event: T, out: &mut E) {
        let key = self.key.key(&event);
        let mut state = match self.store.get(&key) {
            Ok(s) => s,
            Err(e) => return out.fail(e),
        };
        let had = state.is_some();
        (self.f)(&key, event, &mut state, &mut self.collector);
        self.settle(key, had, state, out);
    }

    fn on_watermark<E: Emit<O>>(&mut self, watermark: Timestamp, out: &mut E) {
        self.collector.watermark = watermark;
        if self.on_timer.is_none() {
            return;
        }
        let mut due = std::mem::take(&mut self.due);
        self.timers.fire(watermark, |at, key| due.push((at, key)));
        for (at, key) in due.drain(..) {
            let mut state = match self.store.get(&key) {
                Ok(s) => s,
                Err(e) => {
                    out.fail(e);
                    break;
                }
            };
            let had = state.is_some();
            if let Some(g) = self.on_timer.as_mut() {
                g(&key, at, &mut state, &mut self.collector);
            }
            self.settle(key, had, state, out);
        }
        self.due = due;
    }

    fn on_end<E: Emit<O>>(&mut self, out: &mut E) {
        self.on_watermark(Timestamp::MAX, out);
        flush(&mut self.store, out);
    }

    /// The state (part 0), and the pending timers (part 1: key, time).
    fn on_barrier<E: Emit<O>>(&mut self, _epoch: u64, out: &mut E) {
        save_store(&self.store, self.name, out);
        let saved = match out.checkpoint() {
            None => return,
            Some(snap) => {
                let id = snap.stage(self.name, &types_of::<KF::Key, V>());
                self.timers
                    .iter()
                    .try_for_each(|(at, key)| snap.put_keyed(id, 1, key, &at))
            }
        };
        if let Err(e) = saved {
            out.fail(e);
        }
    }

    fn open(&mut self, cx: &OpenContext) -> Result<(), StateError> {
        self.collector.clock = cx.clock.clone();
        self.store.open(cx, self.name)?;
        restore_store(&mut self.store, self.name, cx)?;
        if let Some(restored) = cx.restored() {
            self.timers = Timers::new();
            if let Some(section) = restored.stage(self.name, &types_of::<KF::Key, V>())? {
                for timer in section.decode::<KF::Key, Timestamp>(1) {
                    let (key, at) = timer?;
                    self.timers.set(at, key);
                }
            }
        }
        Ok(())
    }
}
