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
use super::join::{Inner, IntervalJoin, JoinKey, JoinRoute, LeftOuter};
use super::split::Split;
use super::stateful::{Collector, Fold, NoTimer, Process, Reduce};
use super::stateless::{Filter, FilterMap, FlatMap, ForEach, Inspect, Map};
use super::table_join::{Changelog, TableJoin};
use super::tee::Tee;
use super::timed::{ItemClock, Lift, OnValue, Stamp, StampEnd, Timed, Unstamp};
use super::union::{Pass, Union};
use super::window_join::WindowJoin;
use crate::error::BuildError;
use crate::exchange::Repartition;
use crate::ingress::{Ingress, IngressRoute, Ports};
use crate::key::{AllKey, KeyFn, KeyOf, NoKey};
use crate::message::Timestamp;
use crate::operator::{Emit, Operator};
use crate::pipeline::Pipeline;
use crate::port::Either;
use crate::routing::{ByKey, RoundRobin, ToOne};
use crate::state::Codec;
use crate::time::{Clock, NoTime, ProcessingTime};
use crate::window::aggregate::{Aggregate, Aggs};
use crate::window::aligned::AlignedWindow;
use crate::window::duration::{DurationCheck, DurationError};
use crate::window::geometry::Geometry;
use crate::window::session::SessionWindow;
use crate::window::two_phase::{MergeWindows, Partial};
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

/// The builder after one more stage `Op` over records (not their times),
/// whose output is `U`: the stage runs lifted over the timed items.
pub type NextRecords<S, R, C, Op, U, K, Tm> = Next<S, R, C, Lift<Op>, U, K, Tm>;

/// The builder at the head of a pipeline, before any stage. Between
/// stages, records travel with their time (see [`Timed`]).
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
        self.rechain(|chain| Then::new(chain, op), |key| key)
    }

    /// The builder with its chain and key made anew from the old ones:
    /// what every stage that adds to the chain does, the route and clock
    /// staying as they are.
    #[inline]
    fn rechain<C2, U, K2>(
        self,
        chain: impl FnOnce(C) -> C2,
        key: impl FnOnce(K) -> K2,
    ) -> Builder<S, R, C2, U, K2, Tm> {
        Builder {
            route: self.route,
            chain: chain(self.chain),
            key: key(self.key),
            time: self.time,
            durations: self.durations,
            _types: PhantomData,
        }
    }

    /// `map(|event| new_event)`.
    #[inline]
    pub fn map<U: Event, F>(self, f: F) -> NextRecords<S, R, C, Map<F, T, U>, U, K, Tm>
    where
        F: FnMut(T) -> U + StageFn,
    {
        self.then(Lift(Map::new(f)))
    }

    /// `filter(|event| keep)`.
    #[inline]
    pub fn filter<F>(self, f: F) -> NextRecords<S, R, C, Filter<F, T, T>, T, K, Tm>
    where
        F: FnMut(&T) -> bool + StageFn,
    {
        self.then(Lift(Filter::new(f)))
    }

    /// `filter_map(|event| Some(new_event))`.
    #[inline]
    pub fn filter_map<U: Event, F>(self, f: F) -> NextRecords<S, R, C, FilterMap<F, T, U>, U, K, Tm>
    where
        F: FnMut(T) -> Option<U> + StageFn,
    {
        self.then(Lift(FilterMap::new(f)))
    }

    /// `flat_map(|event| iterable)`.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn flat_map<It, F>(self, f: F) -> NextRecords<S, R, C, FlatMap<F, T, It>, It::Item, K, Tm>
    where
        F: FnMut(T) -> It + StageFn,
        It: IntoIterator<Item: Event> + 'static,
    {
        self.then(Lift(FlatMap::new(f)))
    }

    /// `inspect(|event| ...)`.
    #[inline]
    pub fn inspect<F>(self, f: F) -> NextRecords<S, R, C, Inspect<F, T, T>, T, K, Tm>
    where
        F: FnMut(&T) + StageFn,
    {
        self.then(Lift(Inspect::new(f)))
    }

    /// `for_each(|event| ...)`: ends the pipeline; nothing reaches the outboxes.
    #[inline]
    pub fn for_each<F>(self, f: F) -> NextRecords<S, R, C, ForEach<F, T, NoOutput>, NoOutput, K, Tm>
    where
        F: FnMut(T) + StageFn,
    {
        self.then(Lift(ForEach::new(f)))
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
    ) -> Next<
        S,
        R,
        C,
        TimedWindow<AlignedWindow<Timed<T>, OnValue<K>, ItemClock<Tm>, OnValue<A>, G>>,
        Windowed<K::Key, A::Out>,
        NoKey,
        Tm,
    >
    where
        K: KeyOf<T>,
        ItemClock<Tm>: Clock<Timed<T>>,
        A: Aggregate<T>,
        G: Geometry,
        Tm: Clone,
    {
        let op = AlignedWindow::new(
            OnValue(self.key.clone()),
            ItemClock(self.time.clone()),
            OnValue(aggregate),
            geometry,
            allowed_lateness,
            emit,
        );
        self.keyed_stage(StampEnd(op))
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
    ) -> NextRecords<S, R, C, Reduce<K, F, T>, (Kk, T), NoKey, Tm>
    where
        K: KeyOf<T, Key = Kk>,
        Kk: Codec,
        T: Clone + Codec,
        F: FnMut(T, T) -> T + StageFn,
    {
        let op = Reduce::new(self.key.clone(), f, name);
        self.keyed_stage(Lift(op))
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
    ) -> NextRecords<S, R, C, Fold<K, F, T, A>, (Kk, A), NoKey, Tm>
    where
        K: KeyOf<T, Key = Kk>,
        Kk: Codec,
        A: Clone + Codec + Send + 'static,
        F: FnMut(A, T) -> A + StageFn,
    {
        let op = Fold::new(self.key.clone(), init, f, name);
        self.keyed_stage(Lift(op))
    }

    /// `process(|key, event, state, out| ...)`: per key, with the key's
    /// state as an `Option` to read and write.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn process<V, O, F, Kk>(
        self,
        name: &'static str,
        f: F,
    ) -> NextRecords<S, R, C, Process<K, F, NoTimer<Kk, V, O>, T, V, O>, O, NoKey, Tm>
    where
        K: KeyOf<T, Key = Kk>,
        Kk: Codec,
        V: Clone + Codec + Send + 'static,
        O: Event,
        F: FnMut(&Kk, T, &mut Option<V>, &mut Collector<O>) + StageFn,
    {
        let op = Process::new(self.key.clone(), f, None, name);
        self.keyed_stage(Lift(op))
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
    ) -> NextRecords<S, R, C, Process<K, F, G, T, V, O>, O, NoKey, Tm>
    where
        K: KeyOf<T, Key = Kk>,
        Kk: Codec,
        V: Clone + Codec + Send + 'static,
        O: Event,
        F: FnMut(&Kk, T, &mut Option<V>, &mut Collector<O>) + StageFn,
        G: FnMut(&Kk, Timestamp, &mut Option<V>, &mut Collector<O>) + StageFn,
    {
        let op = Process::new(self.key.clone(), f, Some(on_timer), name);
        self.keyed_stage(Lift(op))
    }

    /// Adds a stage that consumes the pipeline's key (a window or a
    /// stateful stage): after it, events are no longer the source events.
    #[inline]
    fn keyed_stage<Op, U>(self, op: Op) -> Next<S, R, C, Op, U, NoKey, Tm> {
        self.rechain(|chain| Then::new(chain, op), |_| NoKey)
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
    ) -> Next<
        S,
        R,
        C,
        TimedWindow<SessionWindow<Timed<T>, OnValue<K>, ItemClock<Tm>, OnValue<A>>>,
        Windowed<K::Key, A::Out>,
        NoKey,
        Tm,
    >
    where
        K: KeyOf<T>,
        ItemClock<Tm>: Clock<Timed<T>>,
        A: Aggregate<T>,
        Tm: Clone,
    {
        let op = SessionWindow::new(
            OnValue(self.key.clone()),
            ItemClock(self.time.clone()),
            OnValue(aggregate),
            gap,
            allowed_lateness,
            emit,
        );
        self.keyed_stage(StampEnd(op))
    }

    /// `window_all(tumbling(..))` or `window_all(sliding(..))` that fires
    /// once per window (`emit = on_close`, no allowed lateness): in two
    /// phases. Each core aggregates its own records per window; when a
    /// window closes there, its accumulator goes to core 0, which merges
    /// every core's with [`Aggregate::merge`] and emits the window when the
    /// lowest watermark of all cores reaches its end (see
    /// [`two_phase`](crate::window::two_phase)).
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn aligned_window_all<A, G>(
        self,
        geometry: G,
        allowed_lateness: Timestamp,
        emit: EmitPolicy,
        aggregate: A,
    ) -> Builder<S, R, WindowAll<C, T, Tm, A, G>, Windowed<(), A::Out>, NoKey, Tm>
    where
        ItemClock<Tm>: Clock<Timed<T>>,
        A: Aggregate<T, Acc: Clone>,
        G: Geometry,
        T: 'static,
        Tm: Clone,
    {
        let partial = AlignedWindow::new(
            OnValue(AllKey),
            ItemClock(self.time.clone()),
            OnValue(Partial(aggregate.clone())),
            geometry,
            allowed_lateness,
            emit,
        );
        let merge = MergeWindows::new(aggregate);
        self.rechain(
            |chain| {
                let partials = Then::new(chain, StampEnd(partial));
                Then::new(Then::new(partials, Repartition::new(OnValue(ToOne))), merge)
            },
            |_| NoKey,
        )
    }

    /// `key_by(|event| key)` after other stages: an exchange. Each record
    /// goes, with its time, to the core that owns its key, where the
    /// stages after it run; windows and keyed state after it are per key.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn key_by_exchange<Kk: Key, F>(
        self,
        f: F,
    ) -> Builder<S, R, Then<C, Repartition<Timed<T>, OnValue<ByKey<F>>>>, T, KeyFn<F>, Tm>
    where
        T: Event,
        F: Fn(&T) -> Kk + StageFn,
    {
        let route = OnValue(ByKey::new(f.clone()));
        self.rechain(
            |chain| Then::new(chain, Repartition::new(route)),
            |_| KeyFn(f),
        )
    }

    /// `window_all(..)` after an exchange: every record goes to core 0, so
    /// that one window sees them all; the window's key is `()`.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn gather(
        self,
    ) -> Builder<S, R, Then<C, Repartition<Timed<T>, OnValue<ToOne>>>, T, AllKey, Tm>
    where
        T: Event,
    {
        self.rechain(
            |chain| Then::new(chain, Repartition::new(OnValue(ToOne))),
            |_| AllKey,
        )
    }
}

/// A window over timed records, its results stamped with their window's
/// last millisecond.
pub type TimedWindow<W> = StampEnd<W>;

/// The chain `C` followed by a two-phase `window_all` over records `T`:
/// a window per core of `A`'s accumulators, an exchange to core 0, and
/// the merge there.
pub type WindowAll<C, T, Tm, A, G> = Then<
    Then<
        Then<
            C,
            TimedWindow<
                AlignedWindow<Timed<T>, OnValue<AllKey>, ItemClock<Tm>, OnValue<Partial<A>>, G>,
            >,
        >,
        Repartition<Timed<Windowed<(), <A as Aggregate<T>>::Acc>>, OnValue<ToOne>>,
    >,
    MergeWindows<T, A>,
>;

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
    /// result is a [`Pipeline`] when every stage type-checked. Its chain
    /// stamps each event with its time as it enters (each side of a union
    /// its own), and hands the records, without their times, to the
    /// outputs.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn build(
        self,
        describe: &'static str,
    ) -> Built<S, R::Ingress, Then<R::First, Then<C, Unstamp<T>>>>
    where
        R: Entry<S, Tm>,
    {
        let (route, first) = self.route.entry(self.time);
        Built {
            route,
            chain: Then::new(first, Then::new(self.chain, Unstamp::new())),
            describe,
            durations: self.durations,
            _source: PhantomData,
        }
    }

    /// `union(self, other)`: the records of both streams, one stream. Each
    /// side keeps its input's routing and clock and its stages; the stages
    /// after the union see both sides' records, in the lower of their times.
    /// The union is not keyed: a keyed stage after it needs a `key_by`,
    /// which is an exchange.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn union<O>(
        self,
        other: O,
    ) -> Builder<
        Either<S, O::Source>,
        Ports<R::Ingress, <O::Route as Entry<O::Source, O::Clock>>::Ingress>,
        Union<Then<R::First, C>, Then<<O::Route as Entry<O::Source, O::Clock>>::First, O::Chain>>,
        T,
        NoKey,
        Tm,
    >
    where
        O: UnionSide<T>,
        R: Entry<S, Tm>,
        O::Route: Entry<O::Source, O::Clock>,
        Tm: Clone,
    {
        let time = self.time.clone();
        let (left_route, left_first) = self.route.entry(self.time);
        let side = other.into_side();
        let (right_route, right_first) = side.route.entry(side.time);
        Builder {
            route: Ports(left_route, right_route),
            chain: Union::new(
                Then::new(left_first, self.chain),
                Then::new(right_first, side.chain),
            ),
            key: NoKey,
            time,
            durations: self.durations.or(side.durations),
            _types: PhantomData,
        }
    }

    /// The start of a flow that reads this stream beside others (fan-out):
    /// no stages yet, this stream's key and clock. Hand the flow, once it
    /// ends in a sink, to [`tee`](Self::tee).
    #[inline]
    pub fn fork(&self) -> Builder<(), Forked, Identity<T>, T, K, Tm>
    where
        K: Clone,
        Tm: Clone,
    {
        Builder {
            route: Forked,
            chain: Identity::new(),
            key: self.key.clone(),
            time: self.time.clone(),
            durations: None,
            _types: PhantomData,
        }
    }

    /// Several outputs: each record goes to both `left` and `right`
    /// ([`fork`](Self::fork)s of this stream), and what each emits goes out
    /// as its side of an [`Either`]. The time after the split is the lower
    /// of the two branches'.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn split<CA, TA, KA, TmA, CB, TB, KB, TmB>(
        self,
        left: Builder<(), Forked, CA, TA, KA, TmA>,
        right: Builder<(), Forked, CB, TB, KB, TmB>,
    ) -> Builder<S, R, Then<C, Split<CA, CB>>, Either<TA, TB>, NoKey, Tm> {
        let durations = left.durations.or(right.durations);
        let mut next = self.rechain(
            |chain| Then::new(chain, Split::new(left.chain, right.chain)),
            |_| NoKey,
        );
        next.durations = next.durations.or(durations);
        next
    }

    /// Fan-out: each record goes to `side` (a [`fork`](Self::fork) of this
    /// stream that ends in a sink) and on down this stream.
    #[inline]
    pub fn tee<C2, K2, Tm2>(
        self,
        side: Builder<(), Forked, C2, NoOutput, K2, Tm2>,
    ) -> Next<S, R, C, Tee<C2>, T, K, Tm> {
        let durations = side.durations;
        let mut next = self.then(Tee::new(side.chain));
        next.durations = next.durations.or(durations);
        next
    }
}

/// The builder after a join: the exchange that brings each key's rows of
/// both sides to one core, then the join `J`, whose results are `O`.
pub type Joined<S, R, C, L, Rr, KL, KR, J, O, Tm> = Builder<
    S,
    R,
    Then<Then<C, Repartition<Timed<Either<L, Rr>>, OnValue<JoinRoute<KL, KR>>>>, J>,
    O,
    NoKey,
    Tm,
>;

// A join's input is both sides' records tagged by side (the `union` of
// `a -> map(Either::Left)` and `b -> map(Either::Right)`).
impl<S, R, C, L, Rr, K, Tm> Builder<S, R, C, Either<L, Rr>, K, Tm> {
    /// The exchange by the sides' keys, then `join`.
    #[inline]
    fn join_by<Kk: Key, Kr, KL, KR, J, O>(
        self,
        key_left: &KL,
        key_right: &KR,
        join: J,
    ) -> Joined<S, R, C, L, Rr, KL, KR, J, O, Tm>
    where
        KL: Fn(&L) -> Kk + StageFn,
        KR: Fn(&Rr) -> Kr + StageFn,
        Kr: JoinKey<Kk>,
    {
        let route = OnValue(JoinRoute::new(key_left.clone(), key_right.clone()));
        self.rechain(
            |chain| Then::new(Then::new(chain, Repartition::new(route)), join),
            |_| NoKey,
        )
    }

    /// `join(a, b, |l, r| .., between = (lower, upper))`: each left row
    /// `l` with each right row `r` of the same key whose time lies in
    /// `[l.ts + lower, l.ts + upper]` (milliseconds).
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn interval_join<Kk: Key, Kr, KL, KR, F, O: Event>(
        self,
        key_left: KL,
        key_right: KR,
        lower: i64,
        upper: i64,
        build: F,
    ) -> Joined<S, R, C, L, Rr, KL, KR, IntervalJoin<L, Rr, Kk, KL, KR, Inner<F>>, O, Tm>
    where
        KL: Fn(&L) -> Kk + StageFn,
        KR: Fn(&Rr) -> Kr + StageFn,
        Kr: JoinKey<Kk>,
        F: FnMut(&L, &Rr) -> O + StageFn,
    {
        let join = IntervalJoin::new(
            key_left.clone(),
            key_right.clone(),
            Inner(build),
            lower,
            upper,
        );
        self.join_by(&key_left, &key_right, join)
    }

    /// `left_join(a, b, |l, r| .., between = (lower, upper))`: as
    /// [`interval_join`](Self::interval_join), and each left row that
    /// found no right row once the watermark passes `l.ts + upper`, with
    /// `None`.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn interval_left_join<Kk: Key, Kr, KL, KR, F, O: Event>(
        self,
        key_left: KL,
        key_right: KR,
        lower: i64,
        upper: i64,
        build: F,
    ) -> Joined<S, R, C, L, Rr, KL, KR, IntervalJoin<L, Rr, Kk, KL, KR, LeftOuter<F>>, O, Tm>
    where
        KL: Fn(&L) -> Kk + StageFn,
        KR: Fn(&Rr) -> Kr + StageFn,
        Kr: JoinKey<Kk>,
        F: FnMut(&L, Option<&Rr>) -> O + StageFn,
    {
        let join = IntervalJoin::new(
            key_left.clone(),
            key_right.clone(),
            LeftOuter(build),
            lower,
            upper,
        );
        self.join_by(&key_left, &key_right, join)
    }

    /// `join(stream, table(changes), |row, value| ..)`: each stream row
    /// with the table's value for its key as of the row's time (the latest
    /// change at or before it), once the watermark passes the row; a row
    /// whose key has no value then is dropped by an inner join.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn table_join<Kk: Key, Kr, KL, KR, F, O: Event>(
        self,
        key_left: KL,
        key_right: KR,
        build: F,
    ) -> Joined<S, R, C, L, Rr, KL, KR, TableJoin<L, Rr, Kk, KL, KR, Inner<F>>, O, Tm>
    where
        Rr: Changelog,
        KL: Fn(&L) -> Kk + StageFn,
        KR: Fn(&Rr) -> Kr + StageFn,
        Kr: JoinKey<Kk>,
        F: FnMut(&L, &Rr::Value) -> O + StageFn,
    {
        let join = TableJoin::new(key_left.clone(), key_right.clone(), Inner(build));
        self.join_by(&key_left, &key_right, join)
    }

    /// `left_join(stream, table(changes), |row, value: Option<&V>| ..)`:
    /// as [`table_join`](Self::table_join), with `None` for a row whose key
    /// has no value.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn table_left_join<Kk: Key, Kr, KL, KR, F, O: Event>(
        self,
        key_left: KL,
        key_right: KR,
        build: F,
    ) -> Joined<S, R, C, L, Rr, KL, KR, TableJoin<L, Rr, Kk, KL, KR, LeftOuter<F>>, O, Tm>
    where
        Rr: Changelog,
        KL: Fn(&L) -> Kk + StageFn,
        KR: Fn(&Rr) -> Kr + StageFn,
        Kr: JoinKey<Kk>,
        F: FnMut(&L, Option<&Rr::Value>) -> O + StageFn,
    {
        let join = TableJoin::new(key_left.clone(), key_right.clone(), LeftOuter(build));
        self.join_by(&key_left, &key_right, join)
    }

    /// `join(a, b, |l, r| .., window = tumbling(size))` (or `sliding`):
    /// each left row with each right row of the same key in the same
    /// window, when the window fires.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn window_join<Kk: Key, Kr, KL, KR, F, O: Event, G: Geometry>(
        self,
        key_left: KL,
        key_right: KR,
        geometry: G,
        build: F,
    ) -> Joined<S, R, C, L, Rr, KL, KR, WindowJoin<L, Rr, Kk, KL, KR, F, G>, O, Tm>
    where
        KL: Fn(&L) -> Kk + StageFn,
        KR: Fn(&Rr) -> Kr + StageFn,
        Kr: JoinKey<Kk>,
        F: FnMut(&L, &Rr) -> O + StageFn,
    {
        let join = WindowJoin::new(key_left.clone(), key_right.clone(), build, geometry);
        self.join_by(&key_left, &key_right, join)
    }
}

/// A stream that can join a `union` whose records are `T`: a builder
/// whose records are `T` too.
#[diagnostic::on_unimplemented(
    message = "`union` joins streams of one record type, and this stream's records are not `{T}`",
    label = "the records of this side of the `union` are not `{T}`",
    note = "map the sides to one type before the union, such as `-> map(|e| Activity::from(e))`"
)]
pub trait UnionSide<T> {
    /// Its input's events.
    type Source;
    /// Its route at ingress.
    type Route;
    /// Its stages.
    type Chain;
    /// Its clock.
    type Clock;
    /// The builder, as its parts.
    fn into_side(self) -> Builder<Self::Source, Self::Route, Self::Chain, T, NoKey, Self::Clock>;
}

#[diagnostic::do_not_recommend]
impl<S, R, C, T, K, Tm> UnionSide<T> for Builder<S, R, C, T, K, Tm> {
    type Source = S;
    type Route = R;
    type Chain = C;
    type Clock = Tm;
    #[inline]
    fn into_side(self) -> Builder<S, R, C, T, NoKey, Tm> {
        self.rechain(|chain| chain, |_| NoKey)
    }
}

/// The route of a [`fork`](Builder::fork): the flow reads another stream,
/// so it has no ingress of its own.
#[derive(Clone, Copy, Debug, Default)]
pub struct Forked;

/// How a pipeline's head becomes its ingress (the route its input handles
/// use, with the clock) and its first stage (which stamps each event with
/// its time). A union's head is its sides': its ingress is theirs, and its
/// events go to their sides unstamped.
pub trait Entry<S, Tm> {
    /// The pipeline's [`Route`](Pipeline::Route).
    type Ingress;
    /// The chain's first stage.
    type First;
    /// Both, from the route and the clock.
    fn entry(self, time: Tm) -> (Self::Ingress, Self::First);
}

macro_rules! stamped_entry {
    ($($route:ty $(, $f:ident)?;)*) => {$(
        impl<S, Tm: Clone $(, $f)?> Entry<S, Tm> for $route {
            type Ingress = Ingress<$route, Tm>;
            type First = Stamp<S, Tm>;
            #[inline]
            fn entry(self, time: Tm) -> (Self::Ingress, Self::First) {
                (
                    Ingress {
                        route: self,
                        time: time.clone(),
                    },
                    Stamp::new(time),
                )
            }
        }
    )*};
}

stamped_entry! {
    RoundRobin;
    ToOne;
    ByKey<F>, F;
}

impl<S, Tm, A, B> Entry<S, Tm> for Ports<A, B> {
    type Ingress = Ports<A, B>;
    type First = Pass<S>;
    #[inline]
    fn entry(self, _time: Tm) -> (Self::Ingress, Self::First) {
        (self, Pass::new())
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
impl<S, I, C> Pipeline for Built<S, I, C>
where
    S: Event,
    I: IngressRoute<S>,
    C: Operator<In = S> + Clone,
    C::Out: Event,
{
    type In = S;
    type Out = C::Out;
    type Op = C;
    type Route = I;

    fn route(&self) -> I {
        self.route.clone()
    }

    fn instantiate(&self, _core: usize) -> C {
        self.chain.clone()
    }

    fn describe(&self) -> &'static str {
        self.describe
    }

    fn processing_time(&self) -> bool {
        self.route.is_processing_time()
    }

    fn idle_timeout(&self) -> Option<std::time::Duration> {
        self.route.idle_timeout()
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
