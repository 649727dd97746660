//! The typed builder the `stream!` macro expands to.
//!
//! Each method adds one stage and states, in its bounds, what the stage's
//! closure must be. Because the receiver already knows the current item type
//! `T`, a closure such as `|b| b.price` gets its argument type from the
//! method's signature, exactly as with `Iterator::map`.
//!
//! Besides the route `R`, the chain `C` and the current item type `T`, the
//! builder carries the pipeline's key `K` and clock `Tm`, which the head of
//! a pipeline sets (`key_by`, `event_time`, `processing_time`) and a window
//! uses.
//!
//! ```
//! use laminar_runtime::stage::builder::source;
//! use laminar_runtime::{Operator, Pipeline};
//!
//! let p = source::<u64>()
//!     .filter(|x| x % 2 == 0)
//!     .map(|x| x * 10)
//!     .build("flowchart LR");
//! let mut chain = p.instantiate(0);
//! let mut out = Vec::new();
//! for x in 0..5 {
//!     chain.on_event(x, &mut out);
//! }
//! assert_eq!(out, [0, 20, 40]);
//! ```

use core::marker::PhantomData;

use super::bounds::{Event, Key, NoOutput, StageFn};
use super::fuse::{Identity, Then};
use super::stateful::{Collector, Fold, NoTimer, Process, Reduce};
use super::stateless::{Filter, FilterMap, FlatMap, ForEach, Inspect, Map};
use crate::error::BuildError;
use crate::ingress::{Ingress, IngressTime};
use crate::key::{AllKey, KeyFn, KeyOf, NoKey};
use crate::message::Timestamp;
use crate::operator::{Emit, Operator};
use crate::pipeline::Pipeline;
use crate::routing::{ByKey, RoundRobin, Route, ToOne};
use crate::state::Codec;
use crate::time::{Clock, NoTime, ProcessingTime};
use crate::window::aggregate::{Aggregate, Aggs};
use crate::window::aligned::AlignedWindow;
use crate::window::duration::{DurationCheck, DurationError};
use crate::window::geometry::Geometry;
use crate::window::session::SessionWindow;
use crate::window::{EmitPolicy, IntoTimestamp, TimestampFn, Windowed};

/// A pipeline under construction: source type `S`, route `R`, chain `C`
/// whose output is `T`, key `K`, clock `Tm`.
#[must_use = "a pipeline does nothing until it is built and run"]
pub struct Builder<S, R, C, T, K = NoKey, Tm = NoTime> {
    route: R,
    chain: C,
    key: K,
    time: Tm,
    /// The first unusable duration given as an expression, for `build`.
    durations: Option<(&'static str, DurationError)>,
    _types: PhantomData<fn(S) -> T>,
}

/// The builder after one more stage `Op` whose output is `U`.
pub type Next<S, R, C, Op, U, K, Tm> = Builder<S, R, Then<C, Op>, U, K, Tm>;

/// The builder at the head of a pipeline, before any stage.
pub type Head<S, R, K, Tm> = Builder<S, R, Identity<S>, S, K, Tm>;

/// Starts a pipeline whose events are `S`, spread round-robin.
#[inline]
pub fn source<S: Event>() -> Head<S, RoundRobin, NoKey, NoTime> {
    Builder {
        route: RoundRobin::default(),
        chain: Identity::new(),
        key: NoKey,
        time: NoTime,
        durations: None,
        _types: PhantomData,
    }
}

// The impl blocks carry no bounds: each method states only what its own
// stage needs, so one ill-typed stage yields one error, not a cascade
// through every later stage and `build`.
impl<S, R, C, T, K, Tm> Builder<S, R, C, T, K, Tm> {
    #[inline]
    fn then<Op, U>(self, op: Op) -> Next<S, R, C, Op, U, K, Tm> {
        Builder {
            route: self.route,
            chain: Then::new(self.chain, op),
            key: self.key,
            time: self.time,
            durations: self.durations,
            _types: PhantomData,
        }
    }

    /// `map(|event| new_event)`.
    #[inline]
    pub fn map<U: Event, F>(self, f: F) -> Next<S, R, C, Map<F, T, U>, U, K, Tm>
    where
        F: FnMut(T) -> U + StageFn,
    {
        self.then(Map::new(f))
    }

    /// `filter(|event| keep)`.
    #[inline]
    pub fn filter<F>(self, f: F) -> Next<S, R, C, Filter<F, T, T>, T, K, Tm>
    where
        F: FnMut(&T) -> bool + StageFn,
    {
        self.then(Filter::new(f))
    }

    /// `filter_map(|event| Some(new_event))`.
    #[inline]
    pub fn filter_map<U: Event, F>(self, f: F) -> Next<S, R, C, FilterMap<F, T, U>, U, K, Tm>
    where
        F: FnMut(T) -> Option<U> + StageFn,
    {
        self.then(FilterMap::new(f))
    }

    /// `flat_map(|event| iterable)`.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn flat_map<It, F>(self, f: F) -> Next<S, R, C, FlatMap<F, T, It>, It::Item, K, Tm>
    where
        F: FnMut(T) -> It + StageFn,
        It: IntoIterator<Item: Event> + 'static,
    {
        self.then(FlatMap::new(f))
    }

    /// `inspect(|event| ...)`.
    #[inline]
    pub fn inspect<F>(self, f: F) -> Next<S, R, C, Inspect<F, T, T>, T, K, Tm>
    where
        F: FnMut(&T) + StageFn,
    {
        self.then(Inspect::new(f))
    }

    /// `for_each(|event| ...)`: ends the pipeline; nothing reaches the outboxes.
    #[inline]
    pub fn for_each<F>(self, f: F) -> Next<S, R, C, ForEach<F, T, NoOutput>, NoOutput, K, Tm>
    where
        F: FnMut(T) + StageFn,
    {
        self.then(ForEach::new(f))
    }

    /// The built-in aggregates over this stage's events: what
    /// `aggregate(..)` is made from, so that the built-ins' closures know the
    /// event type.
    #[inline]
    pub fn aggs(&self) -> Aggs<T> {
        Aggs::new()
    }

    /// `window(tumbling(size))` or `window(sliding(size, slide))` with its
    /// `aggregate(..)` (made from [`Builder::aggs`]): per key, in the
    /// pipeline's time. The durations are `geometry`: a
    /// [`Fixed`](crate::window::geometry::Fixed) when they were literals, a
    /// [`Dynamic`](crate::window::geometry::Dynamic) otherwise.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn aligned_window<A, G>(
        self,
        geometry: G,
        allowed_lateness: Timestamp,
        emit: EmitPolicy,
        aggregate: A,
    ) -> Next<S, R, C, AlignedWindow<T, K, Tm, A, G>, Windowed<K::Key, A::Out>, NoKey, Tm>
    where
        K: KeyOf<T>,
        Tm: Clock<T>,
        A: Aggregate<T>,
        G: Geometry,
    {
        let op = AlignedWindow::new(
            self.key.clone(),
            self.time.clone(),
            aggregate,
            geometry,
            allowed_lateness,
            emit,
        );
        self.keyed_stage(op)
    }

    // The stateful stages name the key type `Kk`, a parameter of the method,
    // rather than bounding `K::Key` directly: rustc then blames a key that is
    // not `Codec` on the stage's name, not on the whole `stream!` call.

    /// `reduce(|acc, event| acc')`: per key, the running value, emitted as
    /// `(key, value)` after every event. `name` names the stage's state.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn reduce<F, Kk>(
        self,
        name: &'static str,
        f: F,
    ) -> Next<S, R, C, Reduce<K, F, T>, (Kk, T), NoKey, Tm>
    where
        K: KeyOf<T, Key = Kk>,
        Kk: Codec,
        T: Clone + Codec,
        F: FnMut(T, T) -> T + StageFn,
    {
        let op = Reduce::new(self.key.clone(), f, name);
        self.keyed_stage(op)
    }

    /// `fold(init, |acc, event| acc')`: per key, from `init`, emitted as
    /// `(key, value)` after every event.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn fold<A, F, Kk>(
        self,
        name: &'static str,
        init: A,
        f: F,
    ) -> Next<S, R, C, Fold<K, F, T, A>, (Kk, A), NoKey, Tm>
    where
        K: KeyOf<T, Key = Kk>,
        Kk: Codec,
        A: Clone + Codec + Send + 'static,
        F: FnMut(A, T) -> A + StageFn,
    {
        let op = Fold::new(self.key.clone(), init, f, name);
        self.keyed_stage(op)
    }

    /// `process(|key, event, state, out| ...)`: per key, with the key's
    /// state as an `Option` to read and write.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn process<V, O, F, Kk>(
        self,
        name: &'static str,
        f: F,
    ) -> Next<S, R, C, Process<K, F, NoTimer<Kk, V, O>, T, V, O>, O, NoKey, Tm>
    where
        K: KeyOf<T, Key = Kk>,
        Kk: Codec,
        V: Clone + Codec + Send + 'static,
        O: Event,
        F: FnMut(&Kk, T, &mut Option<V>, &mut Collector<O>) + StageFn,
    {
        let op = Process::new(self.key.clone(), f, None, name);
        self.keyed_stage(op)
    }

    /// `process(f, on_timer = g)`: as `process`, and `g` runs for a key
    /// when the watermark reaches a time its closures set with
    /// `out.set_timer(at)`.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn process_timers<V, O, F, G, Kk>(
        self,
        name: &'static str,
        f: F,
        on_timer: G,
    ) -> Next<S, R, C, Process<K, F, G, T, V, O>, O, NoKey, Tm>
    where
        K: KeyOf<T, Key = Kk>,
        Kk: Codec,
        V: Clone + Codec + Send + 'static,
        O: Event,
        F: FnMut(&Kk, T, &mut Option<V>, &mut Collector<O>) + StageFn,
        G: FnMut(&Kk, Timestamp, &mut Option<V>, &mut Collector<O>) + StageFn,
    {
        let op = Process::new(self.key.clone(), f, Some(on_timer), name);
        self.keyed_stage(op)
    }

    /// Adds a stage that consumes the pipeline's key (a window or a
    /// stateful stage): after it, events are no longer the source events.
    #[inline]
    fn keyed_stage<Op, U>(self, op: Op) -> Next<S, R, C, Op, U, NoKey, Tm> {
        Builder {
            route: self.route,
            chain: Then::new(self.chain, op),
            key: NoKey,
            time: self.time,
            durations: self.durations,
            _types: PhantomData,
        }
    }

    /// `window(session(gap))` with its `aggregate(..)`: per key, in the
    /// pipeline's time.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn session_window<A>(
        self,
        gap: Timestamp,
        allowed_lateness: Timestamp,
        emit: EmitPolicy,
        aggregate: A,
    ) -> Next<S, R, C, SessionWindow<T, K, Tm, A>, Windowed<K::Key, A::Out>, NoKey, Tm>
    where
        K: KeyOf<T>,
        Tm: Clock<T>,
        A: Aggregate<T>,
    {
        let op = SessionWindow::new(
            self.key.clone(),
            self.time.clone(),
            aggregate,
            gap,
            allowed_lateness,
            emit,
        );
        self.keyed_stage(op)
    }
}

impl<S, C, T, Tm> Builder<S, RoundRobin, C, T, NoKey, Tm> {
    /// `window_all(..)`: one window over every event, so every event goes
    /// to core 0 and the window's key is `()`.
    #[inline]
    pub fn all_to_one(self) -> Builder<S, ToOne, C, T, AllKey, Tm> {
        Builder {
            route: ToOne,
            chain: self.chain,
            key: AllKey,
            time: self.time,
            durations: self.durations,
            _types: PhantomData,
        }
    }
}

impl<S, Tm> Head<S, RoundRobin, NoKey, Tm> {
    /// `key_by(|event| key)` at the head of a pipeline: events are routed to
    /// cores by the key's hash as they enter, and windows are per key.
    #[inline]
    pub fn key_by<Kk: Key, F>(self, f: F) -> Head<S, ByKey<F>, KeyFn<F>, Tm>
    where
        F: Fn(&S) -> Kk + StageFn,
    {
        Builder {
            route: ByKey::new(f.clone()),
            chain: self.chain,
            key: KeyFn(f),
            time: self.time,
            durations: self.durations,
            _types: PhantomData,
        }
    }
}

impl<S, R, K> Head<S, R, K, NoTime> {
    /// `event_time(|event| timestamp, lateness = d, idle = d)`: events carry
    /// their own time; each input's watermark trails the highest timestamp
    /// it has submitted by `out_of_orderness` milliseconds.
    #[inline]
    #[allow(clippy::type_complexity)]
    pub fn event_time<F>(
        self,
        f: F,
        out_of_orderness: Timestamp,
        idle_ms: Option<u64>,
    ) -> Head<S, R, K, <F::Ts as IntoTimestamp>::EventClock<F>>
    where
        F: TimestampFn<S> + StageFn,
    {
        // The clock is `EventTime<F>`, named through the closure's return
        // type so that an extractor returning a non-timestamp is one error,
        // at the closure (`TimestampFn`), and not again at the window (see
        // `IntoTimestamp::EventClock`).
        Builder {
            route: self.route,
            chain: self.chain,
            key: self.key,
            time: F::Ts::event_clock(f, out_of_orderness, idle_ms),
            durations: self.durations,
            _types: PhantomData,
        }
    }

    /// `processing_time()`: windows run on each core's wall clock.
    #[inline]
    pub fn processing_time(self) -> Head<S, R, K, ProcessingTime> {
        Builder {
            route: self.route,
            chain: self.chain,
            key: self.key,
            time: ProcessingTime::default(),
            durations: self.durations,
            _types: PhantomData,
        }
    }
}

impl<S, R, C, T, K, Tm> Builder<S, R, C, T, K, Tm> {
    /// Keeps the first problem of a stage's durations given as expressions,
    /// for [`RuntimeBuilder::build`](crate::RuntimeBuilder::build) to
    /// report. Generated code only.
    #[doc(hidden)]
    #[inline]
    pub fn check_durations(mut self, check: DurationCheck) -> Self {
        if self.durations.is_none() {
            self.durations = check.finish();
        }
        self
    }

    /// Finishes the pipeline; `describe` is its Mermaid flowchart. The
    /// result is a [`Pipeline`] when every stage type-checked.
    #[inline]
    pub fn build(self, describe: &'static str) -> Built<S, Ingress<R, Tm>, C> {
        Built {
            route: Ingress {
                route: self.route,
                time: self.time,
            },
            chain: self.chain,
            describe,
            durations: self.durations,
            _source: PhantomData,
        }
    }
}

/// A pipeline the macro built: a factory of chains, one per core.
pub struct Built<S, R, C> {
    route: R,
    chain: C,
    describe: &'static str,
    durations: Option<(&'static str, DurationError)>,
    _source: PhantomData<fn(S)>,
}

impl<S, R: Clone, C: Clone> Clone for Built<S, R, C> {
    fn clone(&self) -> Self {
        Built {
            route: self.route.clone(),
            chain: self.chain.clone(),
            describe: self.describe,
            durations: self.durations,
            _source: PhantomData,
        }
    }
}

// By hand, without bounds: the chain holds the user's closures, which have
// no `Debug`.
impl<S, R, C, T, K, Tm> core::fmt::Debug for Builder<S, R, C, T, K, Tm> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Builder")
            .field("durations", &self.durations)
            .finish_non_exhaustive()
    }
}

impl<S, R, C> core::fmt::Debug for Built<S, R, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.describe)
    }
}

impl<S, R, C> Built<S, R, C> {
    /// The pipeline's Mermaid flowchart, made at compile time.
    pub fn describe(&self) -> &'static str {
        self.describe
    }
}

#[diagnostic::do_not_recommend]
impl<S, R, Tm, C> Pipeline for Built<S, Ingress<R, Tm>, C>
where
    S: Event,
    R: Route<S>,
    Tm: IngressTime<S>,
    C: Operator<In = S> + Clone,
    C::Out: Event,
{
    type In = S;
    type Out = C::Out;
    type Op = C;
    type Route = Ingress<R, Tm>;

    fn route(&self) -> Ingress<R, Tm> {
        self.route.clone()
    }

    fn instantiate(&self, _core: usize) -> C {
        self.chain.clone()
    }

    fn describe(&self) -> &'static str {
        self.describe
    }

    fn processing_time(&self) -> bool {
        self.route.time.is_processing_time()
    }

    fn idle_timeout(&self) -> Option<std::time::Duration> {
        self.route.time.idle_timeout()
    }

    fn check(&self) -> Result<(), BuildError> {
        match self.durations {
            Some((stage, what)) => Err(BuildError::Duration { stage, what }),
            None => Ok(()),
        }
    }
}

/// What a `stream!` with errors expands to, beside the errors: a pipeline of
/// the right input type, whose output type is left to inference, so that
/// rustc reports nothing more.
pub struct Stub<S, O>(PhantomData<fn(S) -> O>);

// By hand, so that `S` and `O` need no `Debug`.
impl<S, O> core::fmt::Debug for Stub<S, O> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Stub")
    }
}

/// Makes a [`Stub`].
pub fn stub<S, O>() -> Stub<S, O> {
    Stub(PhantomData)
}

/// The operator of a [`Stub`]; never runs, since a stub never compiles.
pub struct StubOp<S, O>(PhantomData<fn(S) -> O>);

impl<S, O> core::fmt::Debug for StubOp<S, O> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("StubOp")
    }
}

// The stub behind a macro error, never a type to point a user to.
#[diagnostic::do_not_recommend]
impl<S: Event, O: 'static> Operator for StubOp<S, O> {
    type In = S;
    type Out = O;
    fn on_event<E: Emit<O>>(&mut self, _event: S, _out: &mut E) {}
}

#[diagnostic::do_not_recommend]
impl<S: Event, O: Event> Pipeline for Stub<S, O> {
    type In = S;
    type Out = O;
    type Op = StubOp<S, O>;
    type Route = RoundRobin;
    fn route(&self) -> RoundRobin {
        RoundRobin::default()
    }
    fn instantiate(&self, _core: usize) -> StubOp<S, O> {
        StubOp(PhantomData)
    }
}
