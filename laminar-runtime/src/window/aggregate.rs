//! Aggregates: what a window computes over its events.
//!
//! An [`Aggregate`] creates an accumulator, adds events to it, merges two
//! accumulators (sliding windows are built from panes, sessions merge), and
//! reads a result out without consuming the accumulator, so that a window
//! can fire again when a late event updates it.
//!
//! The built-ins are made through [`Aggs`], which knows the event type, so
//! that a closure such as `|b| b.price` gets its argument type:
//!
//! ```
//! use laminar_runtime::window::aggregate::{Aggregate, Aggs};
//!
//! let aggs = Aggs::<(u32, f64)>::new();
//! let both = (aggs.count(), aggs.max(|e| e.1));
//! let mut acc = both.create();
//! both.add(&mut acc, &(1, 2.5), 10);
//! both.add(&mut acc, &(2, 7.0), 11);
//! assert_eq!(both.finish(&acc), (2, Some(7.0)));
//! ```

use core::marker::PhantomData;

use crate::message::Timestamp;
use crate::state::StateError;
use crate::state::codec::{decode_plain, encode_plain};

/// The error of an aggregate that cannot keep its accumulators in a
/// checkpoint.
fn unsaved<A>() -> StateError {
    let _ = core::any::type_name::<A>;
    StateError::NotCheckpointable {
        stage: "a window whose aggregate does not implement `Aggregate::save` and `load`",
    }
}

/// Writes a value the built-in aggregates hold (a number, a `bool`, a
/// `String`).
fn save_value<V: 'static>(v: &V, out: &mut Vec<u8>) -> Result<(), StateError> {
    if encode_plain(v, out) {
        Ok(())
    } else {
        Err(StateError::NotCheckpointable {
            stage: "a window over values other than numbers, `bool` or `String`",
        })
    }
}

fn load_value<V: 'static>(bytes: &[u8]) -> Result<V, StateError> {
    decode_plain(bytes).unwrap_or_else(|| {
        Err(StateError::NotCheckpointable {
            stage: "a window over values other than numbers, `bool` or `String`",
        })
    })
}

/// An option's tag, then its value.
fn save_option<V: 'static>(v: &Option<V>, out: &mut Vec<u8>) -> Result<(), StateError> {
    match v {
        None => {
            out.push(0);
            Ok(())
        }
        Some(v) => {
            out.push(1);
            save_value(v, out)
        }
    }
}

fn load_option<V: 'static>(bytes: &[u8]) -> Result<Option<V>, StateError> {
    match bytes.split_first() {
        Some((0, [])) => Ok(None),
        Some((1, rest)) => load_value(rest).map(Some),
        _ => Err(StateError::BadSnapshot { at: 0 }),
    }
}

/// A computation over the events of a window.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an aggregate over events of type `{T}`",
    label = "not an `Aggregate<{T}>`",
    note = "use a built-in (count(), sum(f), min(f), max(f), avg(f), first(f), last(f)) or implement `laminar::Aggregate<{T}>`"
)]
pub trait Aggregate<T>: Clone + Send + 'static {
    /// The running state.
    type Acc: Send + 'static;
    /// The result.
    type Out: Send + 'static;

    /// An empty accumulator.
    fn create(&self) -> Self::Acc;
    /// Adds one event, with its timestamp.
    fn add(&self, acc: &mut Self::Acc, event: &T, timestamp: Timestamp);
    /// Folds `other` into `into`.
    fn merge(&self, into: &mut Self::Acc, other: &Self::Acc);
    /// The result so far; the accumulator stays usable.
    fn finish(&self, acc: &Self::Acc) -> Self::Out;

    /// Writes `acc` for a checkpoint. The built-in aggregates do; a
    /// custom one that keeps the default cannot be checkpointed: a run
    /// that keeps checkpoints stops at its first barrier with
    /// [`StateError::NotCheckpointable`], rather than restore its windows
    /// empty.
    fn save(&self, acc: &Self::Acc, out: &mut Vec<u8>) -> Result<(), StateError> {
        let _ = (acc, out);
        Err(unsaved::<Self>())
    }

    /// Reads back what [`save`](Self::save) wrote.
    fn load(&self, bytes: &[u8]) -> Result<Self::Acc, StateError> {
        let _ = bytes;
        Err(unsaved::<Self>())
    }
}

/// Makes the built-in aggregates over events of type `T`.
pub struct Aggs<T>(PhantomData<fn(&T)>);

// By hand, so that the event type needs no `Debug`.
impl<T> core::fmt::Debug for Aggs<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Aggs")
    }
}

impl<T> Aggs<T> {
    /// The maker for events of type `T`.
    pub const fn new() -> Self {
        Aggs(PhantomData)
    }

    /// `count()`: the number of events.
    pub fn count(&self) -> Count {
        Count
    }

    /// `sum(|e| value)`: the sum of a numeric value.
    pub fn sum<F>(&self, f: F) -> <F::Value as Summable>::Checked<Sum<F>>
    where
        F: SumFn<T> + Clone + Send + 'static,
    {
        F::Value::checked(Sum(f))
    }

    /// `min(|e| value)`: the least value, `None` for no events.
    pub fn min<V, F>(&self, f: F) -> Min<F>
    where
        V: PartialOrd + Clone + Send + 'static,
        F: Fn(&T) -> V + Clone + Send + 'static,
    {
        Min(f)
    }

    /// `max(|e| value)`: the greatest value, `None` for no events.
    pub fn max<V, F>(&self, f: F) -> Max<F>
    where
        V: PartialOrd + Clone + Send + 'static,
        F: Fn(&T) -> V + Clone + Send + 'static,
    {
        Max(f)
    }

    /// `avg(|e| value)`: the mean as `f64`, NaN for no events.
    pub fn avg<F>(&self, f: F) -> <F::Value as Summable>::Checked<Avg<F>>
    where
        F: SumFn<T> + Clone + Send + 'static,
    {
        F::Value::checked(Avg(f))
    }

    /// `first(|e| value)`: the value of the event with the earliest
    /// timestamp (the first seen among equals).
    pub fn first<V, F>(&self, f: F) -> First<F>
    where
        V: Clone + Send + 'static,
        F: Fn(&T) -> V + Clone + Send + 'static,
    {
        First(f)
    }

    /// `last(|e| value)`: the value of the event with the latest timestamp
    /// (the first seen among equals).
    pub fn last<V, F>(&self, f: F) -> Last<F>
    where
        V: Clone + Send + 'static,
        F: Fn(&T) -> V + Clone + Send + 'static,
    {
        Last(f)
    }

    /// A user's own aggregate.
    pub fn custom<A: Aggregate<T>>(&self, aggregate: A) -> A {
        aggregate
    }
}

impl<T> Default for Aggs<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The closure of `sum(f)` and `avg(f)`: every `Fn(&T) -> V` whose `V` is
/// [`Summable`].
///
/// `sum` and `avg` state their bound as this one trait on the closure, not as
/// a bound on what it returns, so that rustc reports a closure returning
/// anything else at the closure, with `Summable`'s message. (A bound on
/// `Summable` itself also made rustc drop that message for a closure
/// returning `&u64`, since `u64` is `Summable`, and suggest borrowing the
/// whole `sum(..)` call instead.)
pub trait SumFn<T>: Fn(&T) -> <Self as SumFn<T>>::Value {
    /// What the closure returns.
    type Value: Summable;
}

impl<T, V: Summable, F: Fn(&T) -> V> SumFn<T> for F {
    type Value = V;
}

/// A number `sum` and `avg` can add: the primitive integers and floats.
#[diagnostic::on_unimplemented(
    message = "`sum` and `avg` add numbers, and `{Self}` is not a number",
    label = "this closure returns `{Self}`",
    note = "return an integer or float field by value: `sum(|e| e.amount)`, not `sum(|e| &e.amount)`; to count events use `count()`"
)]
pub trait Summable: Copy + Send + 'static {
    /// The sum of nothing.
    const ZERO: Self;
    /// `self + other`; integers wrap rather than panic on overflow.
    fn plus(self, other: Self) -> Self;
    /// As a float, for `avg`.
    fn to_f64(self) -> f64;

    /// Always `A`. `sum` and `avg` return their aggregate through it so
    /// that, when the value is not `Summable`, the aggregate's type is left
    /// unresolved instead of being one the window would reject again: the
    /// user gets one error, at `sum`.
    #[doc(hidden)]
    type Checked<A>;

    /// `a`, as [`Summable::Checked`].
    #[doc(hidden)]
    fn checked<A>(a: A) -> Self::Checked<A>;
}

// The impls' headers are written out, their bodies made by a macro: rustc
// quotes an impl header (`impl Summable for u64`) to a user whose closure
// returns `&u64`, and a header inside a macro would be quoted with the macro.
macro_rules! summable_body {
    (int) => {
        const ZERO: Self = 0;
        #[inline(always)]
        fn plus(self, other: Self) -> Self {
            self.wrapping_add(other)
        }
        summable_body!(common);
    };
    (float) => {
        const ZERO: Self = 0.0;
        #[inline(always)]
        fn plus(self, other: Self) -> Self {
            self + other
        }
        summable_body!(common);
    };
    (common) => {
        #[inline(always)]
        fn to_f64(self) -> f64 {
            self as f64
        }
        type Checked<A> = A;
        #[inline(always)]
        fn checked<A>(a: A) -> A {
            a
        }
    };
}

impl Summable for u8 {
    summable_body!(int);
}
impl Summable for u16 {
    summable_body!(int);
}
impl Summable for u32 {
    summable_body!(int);
}
impl Summable for u64 {
    summable_body!(int);
}
impl Summable for u128 {
    summable_body!(int);
}
impl Summable for usize {
    summable_body!(int);
}
impl Summable for i8 {
    summable_body!(int);
}
impl Summable for i16 {
    summable_body!(int);
}
impl Summable for i32 {
    summable_body!(int);
}
impl Summable for i64 {
    summable_body!(int);
}
impl Summable for i128 {
    summable_body!(int);
}
impl Summable for isize {
    summable_body!(int);
}
impl Summable for f32 {
    summable_body!(float);
}
impl Summable for f64 {
    summable_body!(float);
}

/// `count()`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Count;

impl<T> Aggregate<T> for Count {
    type Acc = u64;
    type Out = u64;
    #[inline]
    fn create(&self) -> u64 {
        0
    }
    #[inline]
    fn add(&self, acc: &mut u64, _event: &T, _timestamp: Timestamp) {
        *acc += 1;
    }
    #[inline]
    fn merge(&self, into: &mut u64, other: &u64) {
        *into += *other;
    }
    #[inline]
    fn finish(&self, acc: &u64) -> u64 {
        *acc
    }
    fn save(&self, acc: &u64, out: &mut Vec<u8>) -> Result<(), StateError> {
        save_value(acc, out)
    }
    fn load(&self, bytes: &[u8]) -> Result<u64, StateError> {
        load_value(bytes)
    }
}

/// `sum(f)`.
#[derive(Clone, Copy, Debug)]
pub struct Sum<F>(F);

impl<T, V: Summable, F: Fn(&T) -> V + Clone + Send + 'static> Aggregate<T> for Sum<F> {
    type Acc = V;
    type Out = V;
    #[inline]
    fn create(&self) -> V {
        V::ZERO
    }
    #[inline]
    fn add(&self, acc: &mut V, event: &T, _timestamp: Timestamp) {
        *acc = acc.plus((self.0)(event));
    }
    #[inline]
    fn merge(&self, into: &mut V, other: &V) {
        *into = into.plus(*other);
    }
    #[inline]
    fn finish(&self, acc: &V) -> V {
        *acc
    }
    fn save(&self, acc: &V, out: &mut Vec<u8>) -> Result<(), StateError> {
        save_value(acc, out)
    }
    fn load(&self, bytes: &[u8]) -> Result<V, StateError> {
        load_value(bytes)
    }
}

/// `avg(f)`.
#[derive(Clone, Copy, Debug)]
pub struct Avg<F>(F);

impl<T, V: Summable, F: Fn(&T) -> V + Clone + Send + 'static> Aggregate<T> for Avg<F> {
    type Acc = (f64, u64);
    type Out = f64;
    #[inline]
    fn create(&self) -> (f64, u64) {
        (0.0, 0)
    }
    #[inline]
    fn add(&self, acc: &mut (f64, u64), event: &T, _timestamp: Timestamp) {
        acc.0 += (self.0)(event).to_f64();
        acc.1 += 1;
    }
    #[inline]
    fn merge(&self, into: &mut (f64, u64), other: &(f64, u64)) {
        into.0 += other.0;
        into.1 += other.1;
    }
    #[inline]
    fn finish(&self, acc: &(f64, u64)) -> f64 {
        acc.0 / acc.1 as f64
    }
    fn save(&self, acc: &(f64, u64), out: &mut Vec<u8>) -> Result<(), StateError> {
        out.extend_from_slice(&acc.0.to_le_bytes());
        out.extend_from_slice(&acc.1.to_le_bytes());
        Ok(())
    }
    fn load(&self, bytes: &[u8]) -> Result<(f64, u64), StateError> {
        let (Some(a), Some(b)) = (bytes.get(..8), bytes.get(8..16)) else {
            return Err(StateError::BadSnapshot { at: 0 });
        };
        let (mut x, mut y) = ([0u8; 8], [0u8; 8]);
        x.copy_from_slice(a);
        y.copy_from_slice(b);
        Ok((f64::from_le_bytes(x), u64::from_le_bytes(y)))
    }
}

/// Keeps `candidate` in `slot` if `better(candidate, current)`.
#[inline]
fn keep<V: Clone>(slot: &mut Option<V>, candidate: &V, better: impl Fn(&V, &V) -> bool) {
    match slot {
        Some(cur) if !better(candidate, cur) => {}
        _ => *slot = Some(candidate.clone()),
    }
}

macro_rules! extremum {
    ($(#[$doc:meta])* $name:ident, $better:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name<F>(F);

        impl<T, V, F> Aggregate<T> for $name<F>
        where
            V: PartialOrd + Clone + Send + 'static,
            F: Fn(&T) -> V + Clone + Send + 'static,
        {
            type Acc = Option<V>;
            type Out = Option<V>;
            #[inline]
            fn create(&self) -> Option<V> {
                None
            }
            #[inline]
            fn add(&self, acc: &mut Option<V>, event: &T, _timestamp: Timestamp) {
                let v = (self.0)(event);
                match acc {
                    Some(cur) if !($better)(&v, cur) => {}
                    _ => *acc = Some(v),
                }
            }
            #[inline]
            fn merge(&self, into: &mut Option<V>, other: &Option<V>) {
                if let Some(v) = other {
                    keep(into, v, $better);
                }
            }
            #[inline]
            fn finish(&self, acc: &Option<V>) -> Option<V> {
                acc.clone()
            }
            fn save(&self, acc: &Option<V>, out: &mut Vec<u8>) -> Result<(), StateError> {
                save_option(acc, out)
            }
            fn load(&self, bytes: &[u8]) -> Result<Option<V>, StateError> {
                load_option(bytes)
            }
        }
    };
}

extremum!(
    /// `min(f)`.
    Min,
    |a: &V, b: &V| a < b
);
extremum!(
    /// `max(f)`.
    Max,
    |a: &V, b: &V| a > b
);

macro_rules! by_time {
    ($(#[$doc:meta])* $name:ident, $better:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name<F>(F);

        impl<T, V, F> Aggregate<T> for $name<F>
        where
            V: Clone + Send + 'static,
            F: Fn(&T) -> V + Clone + Send + 'static,
        {
            type Acc = Option<(Timestamp, V)>;
            type Out = Option<V>;
            #[inline]
            fn create(&self) -> Self::Acc {
                None
            }
            #[inline]
            fn add(&self, acc: &mut Self::Acc, event: &T, timestamp: Timestamp) {
                match acc {
                    Some((t, _)) if !($better)(timestamp, *t) => {}
                    _ => *acc = Some((timestamp, (self.0)(event))),
                }
            }
            #[inline]
            fn merge(&self, into: &mut Self::Acc, other: &Self::Acc) {
                if let Some((t, v)) = other {
                    match into {
                        Some((cur, _)) if !($better)(*t, *cur) => {}
                        _ => *into = Some((*t, v.clone())),
                    }
                }
            }
            #[inline]
            fn finish(&self, acc: &Self::Acc) -> Option<V> {
                acc.as_ref().map(|(_, v)| v.clone())
            }
            fn save(&self, acc: &Self::Acc, out: &mut Vec<u8>) -> Result<(), StateError> {
                if let Some((t, _)) = acc {
                    out.extend_from_slice(&t.to_le_bytes());
                }
                save_option(&acc.as_ref().map(|(_, v)| v.clone()), out)
            }
            fn load(&self, bytes: &[u8]) -> Result<Self::Acc, StateError> {
                if bytes.first() == Some(&0) && bytes.len() == 1 {
                    return Ok(None);
                }
                let (Some(t), Some(rest)) = (bytes.get(..8), bytes.get(8..)) else {
                    return Err(StateError::BadSnapshot { at: 0 });
                };
                let mut raw = [0u8; 8];
                raw.copy_from_slice(t);
                let v = load_option::<V>(rest)?;
                Ok(v.map(|v| (Timestamp::from_le_bytes(raw), v)))
            }
        }
    };
}

by_time!(
    /// `first(f)`.
    First,
    |a: Timestamp, b: Timestamp| a < b
);
by_time!(
    /// `last(f)`.
    Last,
    |a: Timestamp, b: Timestamp| a > b
);

macro_rules! tuple_aggregate {
    ($($name:ident $idx:tt),+) => {
        impl<T, $($name: Aggregate<T>),+> Aggregate<T> for ($($name,)+) {
            type Acc = ($($name::Acc,)+);
            type Out = ($($name::Out,)+);
            #[inline]
            fn create(&self) -> Self::Acc {
                ($(self.$idx.create(),)+)
            }
            #[inline]
            fn add(&self, acc: &mut Self::Acc, event: &T, timestamp: Timestamp) {
                $(self.$idx.add(&mut acc.$idx, event, timestamp);)+
            }
            #[inline]
            fn merge(&self, into: &mut Self::Acc, other: &Self::Acc) {
                $(self.$idx.merge(&mut into.$idx, &other.$idx);)+
            }
            #[inline]
            fn finish(&self, acc: &Self::Acc) -> Self::Out {
                ($(self.$idx.finish(&acc.$idx),)+)
            }
            /// Each part's bytes, after their length.
            fn save(&self, acc: &Self::Acc, out: &mut Vec<u8>) -> Result<(), StateError> {
                $(
                    let at = out.len();
                    out.extend_from_slice(&[0; 4]);
                    self.$idx.save(&acc.$idx, out)?;
                    let len = (out.len() - at - 4) as u32;
                    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
                )+
                Ok(())
            }
            fn load(&self, bytes: &[u8]) -> Result<Self::Acc, StateError> {
                let mut rest = bytes;
                let acc = ($({
                    let Some((len, tail)) = rest.split_first_chunk::<4>() else {
                        return Err(StateError::BadSnapshot { at: bytes.len() - rest.len() });
                    };
                    let len = u32::from_le_bytes(*len) as usize;
                    let Some((part, tail)) = tail.split_at_checked(len) else {
                        return Err(StateError::BadSnapshot { at: bytes.len() - rest.len() });
                    };
                    rest = tail;
                    self.$idx.load(part)?
                },)+);
                if !rest.is_empty() {
                    return Err(StateError::BadSnapshot { at: bytes.len() - rest.len() });
                }
                Ok(acc)
            }
        }
    };
}

tuple_aggregate!(A 0, B 1);
tuple_aggregate!(A 0, B 1, C 2);
tuple_aggregate!(A 0, B 1, C 2, D 3);
tuple_aggregate!(A 0, B 1, C 2, D 3, E 4);
tuple_aggregate!(A 0, B 1, C 2, D 3, E 4, G 5);
tuple_aggregate!(A 0, B 1, C 2, D 3, E 4, G 5, H 6);

#[cfg(test)]
mod tests {
    use super::*;

    fn run<A: Aggregate<u64>>(a: &A, events: &[(u64, Timestamp)]) -> A::Out {
        let mut acc = a.create();
        for (e, t) in events {
            a.add(&mut acc, e, *t);
        }
        a.finish(&acc)
    }

    #[test]
    fn built_ins() {
        let aggs = Aggs::<u64>::new();
        let ev = [(5, 30), (2, 10), (9, 20), (2, 10)];
        assert_eq!(run(&aggs.count(), &ev), 4);
        assert_eq!(run(&aggs.sum(|x| *x), &ev), 18);
        assert_eq!(run(&aggs.min(|x| *x), &ev), Some(2));
        assert_eq!(run(&aggs.max(|x| *x), &ev), Some(9));
        assert_eq!(run(&aggs.avg(|x| *x), &ev), 4.5);
        assert_eq!(run(&aggs.first(|x| *x), &ev), Some(2));
        assert_eq!(run(&aggs.last(|x| *x), &ev), Some(5));
        assert_eq!(run(&aggs.max(|x| *x), &[]), None);
    }

    #[test]
    fn merge_equals_adding_everything_once() {
        let aggs = Aggs::<u64>::new();
        let all = (
            aggs.count(),
            aggs.sum(|x| *x),
            aggs.min(|x| *x),
            aggs.first(|x| *x),
            aggs.last(|x| *x),
        );
        let ev: Vec<(u64, Timestamp)> = (0..50).map(|i| (i * 7 % 13, i * 3 % 17)).collect();
        let whole = run(&all, &ev);
        let (left, right) = ev.split_at(20);
        let mut a = all.create();
        for (e, t) in left {
            all.add(&mut a, e, *t);
        }
        let mut b = all.create();
        for (e, t) in right {
            all.add(&mut b, e, *t);
        }
        all.merge(&mut a, &b);
        assert_eq!(all.finish(&a), whole);
    }
}
