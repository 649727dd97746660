//! Exchanges: how events cross from the core that has them to the core
//! that owns their key.
//!
//! - A source's exchange (`Outgoing`, driven by the worker) sends the
//!   events a core's split read to the cores their keys belong to.
//! - A mid-pipeline exchange ([`Repartition`], an operator in the chain)
//!   does the same between two stages, over an n×n mesh of channels per
//!   exchange that the run's [`Fabric`] makes when the chains open.
//!
//! Both move batches per destination, never wait on a full ring, and carry
//! watermarks (and, mid-pipeline, the end of each core's stream) in band.

mod fabric;
mod outgoing;
mod repartition;

pub use fabric::Fabric;
pub(crate) use outgoing::Outgoing;
pub use repartition::Repartition;
