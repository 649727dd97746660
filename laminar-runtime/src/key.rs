//! Keys: what a key type must be ([`Key`]), and how a stage reads an
//! event's key ([`KeyOf`]): by the user's `key_by` closure ([`KeyFn`]), as
//! the one key of `window_all` ([`AllKey`]), or not at all ([`NoKey`]).
//!
//! The builder's stages and the windows both take their keys from here, so
//! neither depends on the other for the notion of a key.

use core::hash::Hash;

/// What a key is compared by: `Hash` and `Eq` together, so that a key type
/// missing both gets one error that names both, not one error per trait.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a key: keys must be `Hash + Eq`",
    label = "this key type is not `Hash + Eq`",
    note = "derive `Hash, PartialEq, Eq` on the key type; a float is not `Eq`, so key by `f.to_bits()` or a rounded integer"
)]
pub trait HashEq: Hash + Eq {}

// Not looked through when a bound fails: the error names `HashEq`, once,
// instead of `Hash` and `Eq` separately.
#[diagnostic::do_not_recommend]
impl<K: Hash + Eq + ?Sized> HashEq for K {}

/// A key that routes events to cores and indexes keyed state.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a key: keys must be `Hash + Eq + Clone + Send + 'static`",
    label = "this key type is not `Hash + Eq + Clone + Send + 'static`",
    note = "key by owned, thread-safe values that derive `Hash, PartialEq, Eq, Clone`: `String` or `Arc<str>` instead of `Rc<str>`; a float is not `Eq`, so key by `f.to_bits()` or a rounded integer"
)]
pub trait Key: HashEq + Clone + Send + 'static {}

impl<K: HashEq + Clone + Send + 'static> Key for K {}

/// How a window reads the key of an event.
pub trait KeyOf<T>: Clone + Send + 'static {
    /// The key type.
    type Key: Key;
    /// The event's key.
    fn key(&self, event: &T) -> Self::Key;
}

/// The key chosen by `key_by`.
#[derive(Clone, Debug)]
pub struct KeyFn<F>(pub F);

impl<T, K: Key, F: Fn(&T) -> K + Clone + Send + 'static> KeyOf<T> for KeyFn<F> {
    type Key = K;
    #[inline(always)]
    fn key(&self, event: &T) -> K {
        (self.0)(event)
    }
}

/// The single key of `window_all`.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllKey;

impl<T> KeyOf<T> for AllKey {
    type Key = ();
    #[inline(always)]
    fn key(&self, _event: &T) {}
}

/// No key chosen: such a pipeline cannot window by key (the macro says so).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoKey;
