//! The typed builder the `stream!` macro expands to.
//!
//! Each method adds one stage and states, in its bounds, what the stage's
//! closure must be. Because the receiver already knows the current item type
//! `T`, a closure such as `|b| b.price` gets its argument type from the
//! method's signature, exactly as with `Iterator::map`.
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
use super::stateless::{Filter, FilterMap, FlatMap, ForEach, Inspect, Map};
use crate::operator::{Emit, Operator};
use crate::pipeline::Pipeline;
use crate::routing::{ByKey, RoundRobin, Route};

/// A pipeline under construction: source type `S`, route `R`, chain `C`
/// whose output is `T`.
#[must_use = "a pipeline does nothing until it is built and run"]
pub struct Builder<S, R, C, T> {
    route: R,
    chain: C,
    _types: PhantomData<fn(S) -> T>,
}

/// The builder after one more stage `Op` whose output is `U`.
pub type Next<S, R, C, Op, U> = Builder<S, R, Then<C, Op>, U>;

/// Starts a pipeline whose events are `S`, spread round-robin.
#[inline]
pub fn source<S: Event>() -> Builder<S, RoundRobin, Identity<S>, S> {
    Builder {
        route: RoundRobin::default(),
        chain: Identity::new(),
        _types: PhantomData,
    }
}

// The impl blocks carry no bounds: each method states only what its own
// stage needs, so one ill-typed stage yields one error, not a cascade
// through every later stage and `build`.
impl<S, R, C, T> Builder<S, R, C, T> {
    #[inline]
    fn then<Op, U>(self, op: Op) -> Next<S, R, C, Op, U> {
        Builder {
            route: self.route,
            chain: Then::new(self.chain, op),
            _types: PhantomData,
        }
    }

    /// `map(|event| new_event)`.
    #[inline]
    pub fn map<U: Event, F>(self, f: F) -> Next<S, R, C, Map<F, T, U>, U>
    where
        F: FnMut(T) -> U + StageFn,
    {
        self.then(Map::new(f))
    }

    /// `filter(|event| keep)`.
    #[inline]
    pub fn filter<F>(self, f: F) -> Next<S, R, C, Filter<F, T, T>, T>
    where
        F: FnMut(&T) -> bool + StageFn,
    {
        self.then(Filter::new(f))
    }

    /// `filter_map(|event| Some(new_event))`.
    #[inline]
    pub fn filter_map<U: Event, F>(self, f: F) -> Next<S, R, C, FilterMap<F, T, U>, U>
    where
        F: FnMut(T) -> Option<U> + StageFn,
    {
        self.then(FilterMap::new(f))
    }

    /// `flat_map(|event| iterable)`.
    #[inline]
    pub fn flat_map<It, F>(self, f: F) -> Next<S, R, C, FlatMap<F, T, It>, It::Item>
    where
        F: FnMut(T) -> It + StageFn,
        It: IntoIterator<Item: Event> + 'static,
    {
        self.then(FlatMap::new(f))
    }

    /// `inspect(|event| ...)`.
    #[inline]
    pub fn inspect<F>(self, f: F) -> Next<S, R, C, Inspect<F, T, T>, T>
    where
        F: FnMut(&T) + StageFn,
    {
        self.then(Inspect::new(f))
    }

    /// `for_each(|event| ...)`: ends the pipeline; nothing reaches the outboxes.
    #[inline]
    pub fn for_each<F>(self, f: F) -> Next<S, R, C, ForEach<F, T, NoOutput>, NoOutput>
    where
        F: FnMut(T) + StageFn,
    {
        self.then(ForEach::new(f))
    }
}

impl<S> Builder<S, RoundRobin, Identity<S>, S> {
    /// `key_by(|event| key)` at the head of a pipeline: events are routed to
    /// cores by the key's hash as they enter.
    #[inline]
    pub fn key_by<K: Key, F>(self, f: F) -> Builder<S, ByKey<F>, Identity<S>, S>
    where
        F: Fn(&S) -> K + StageFn,
    {
        Builder {
            route: ByKey::new(f),
            chain: self.chain,
            _types: PhantomData,
        }
    }
}

impl<S, R, C, T> Builder<S, R, C, T> {
    /// Finishes the pipeline; `describe` is its Mermaid flowchart. The
    /// result is a [`Pipeline`] when every stage type-checked.
    #[inline]
    pub fn build(self, describe: &'static str) -> Built<S, R, C> {
        Built {
            route: self.route,
            chain: self.chain,
            describe,
            _source: PhantomData,
        }
    }
}

/// A pipeline the macro built: a factory of chains, one per core.
pub struct Built<S, R, C> {
    route: R,
    chain: C,
    describe: &'static str,
    _source: PhantomData<fn(S)>,
}

impl<S, R: Clone, C: Clone> Clone for Built<S, R, C> {
    fn clone(&self) -> Self {
        Built {
            route: self.route.clone(),
            chain: self.chain.clone(),
            describe: self.describe,
            _source: PhantomData,
        }
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
impl<S, R, C> Pipeline for Built<S, R, C>
where
    S: Event,
    R: Route<S>,
    C: Operator<In = S> + Clone,
    C::Out: Event,
{
    type In = S;
    type Out = C::Out;
    type Op = C;
    type Route = R;

    fn route(&self) -> R {
        self.route.clone()
    }

    fn instantiate(&self, _core: usize) -> C {
        self.chain.clone()
    }

    fn describe(&self) -> &'static str {
        self.describe
    }
}

/// What a `stream!` with errors expands to, beside the errors: a pipeline of
/// the right input type, whose output type is left to inference, so that
/// rustc reports nothing more.
pub struct Stub<S, O>(PhantomData<fn(S) -> O>);

/// Makes a [`Stub`].
pub fn stub<S, O>() -> Stub<S, O> {
    Stub(PhantomData)
}

/// The operator of a [`Stub`]; never runs, since a stub never compiles.
pub struct StubOp<S, O>(PhantomData<fn(S) -> O>);

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
