//! The traits the builder's bounds are stated in, so that what rustc says
//! when a bound fails speaks of streams, not of the builder's internals.

use core::hash::Hash;

/// A type that can flow through a pipeline: it moves between threads, so it
/// must be `Send + 'static`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a stream event: events move between cores",
    label = "this type is not `Send + 'static`",
    note = "use owned, thread-safe data in events: `Arc` instead of `Rc`, `String` instead of `&str`"
)]
pub trait Event: Send + 'static {}

impl<T: Send + 'static> Event for T {}

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

/// A closure a stage can run on every core: each core gets its own clone.
#[diagnostic::on_unimplemented(
    message = "this closure cannot run on every core: it must be `Clone + Send + 'static`",
    label = "captures something that is not `Clone + Send + 'static`",
    note = "each core gets its own clone of every closure; capture `Arc` instead of `Rc` or references, and `move` owned values in"
)]
pub trait StageFn: Clone + Send + 'static {}

impl<F: Clone + Send + 'static> StageFn for F {}

/// The output type of a pipeline that ends in a terminal stage such as
/// `for_each`: it has no values, so nothing reaches the outboxes. Finish such
/// a runtime with `finish()`; there is nothing to drain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoOutput {}
