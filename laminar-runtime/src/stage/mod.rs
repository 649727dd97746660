//! The stages a `stream!` pipeline is built from, and how they fuse.
//!
//! Each stage is an [`Operator`](crate::Operator). [`Then`] joins two of them
//! so that the first one's `emit` is a direct call into the second one's
//! `on_event`: a whole chain is one monomorphized function per core, with no
//! queue, box or virtual call between stages.
//!
//! The macro does not name these types; it calls the methods of
//! [`Builder`](builder::Builder), whose signatures give every closure its
//! argument type, so a type error lands on the user's closure.
//!
//! Every operator's `Operator` impl is `#[diagnostic::do_not_recommend]`:
//! when a bound fails, rustc reports the user-facing trait that required it
//! (`Key`, `StageFn`, `Event`, ...), never an operator type the user did not
//! write.

pub mod bounds;
pub mod builder;
mod fuse;
mod join;
mod sides;
pub mod split;
pub mod stateful;
pub mod stateless;
mod table_join;
pub mod tee;
pub mod timed;
pub mod union;
mod window_join;

pub use fuse::{Identity, Then};
pub use join::{Inner, IntervalJoin, JoinKey, JoinRoute, LeftOuter, PairFn};
pub use table_join::{Change, Changelog, TableJoin};
pub use window_join::WindowJoin;
