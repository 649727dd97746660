//! The traits the builder's bounds are stated in, so that what rustc says
//! when a bound fails speaks of streams, not of the builder's internals.

/// A type that can flow through a pipeline: it moves between threads, so it
/// must be `Send + 'static`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a stream event: events move between cores",
    label = "this type is not `Send + 'static`",
    note = "use owned, thread-safe data in events: `Arc` instead of `Rc`, `String` instead of `&str`"
)]
pub trait Event: Send + 'static {}

impl<T: Send + 'static> Event for T {}

// Defined with the other key types; the builder's bounds name them from here.
pub use crate::key::{HashEq, Key};

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
