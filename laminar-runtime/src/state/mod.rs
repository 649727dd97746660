//! Keyed state: one interface, two stores.
//!
//! A stateful operator keeps one value per key on the core that owns the
//! key, through a [`StateStore`]. Each core has its own stores, with a single
//! writer, so nothing here locks.
//!
//! - [`MemStore`]: an `FxHashMap<K, V>`, typed, so the hot path encodes
//!   nothing;
//! - [`MmapStore`]: a persistent, memory-mapped file of
//!   checksummed records, for state larger than memory or that must
//!   survive a restart; typed through [`Typed`] and the [`Codec`] trait.
//!
//! Which one a pipeline uses is the runtime's choice
//! ([`RuntimeBuilder::state_dir`](crate::RuntimeBuilder::state_dir)), not
//! the pipeline's: its stages stay the same.

pub(crate) mod codec;
mod context;
mod dir;
mod error;
mod keyed;
mod mem;
pub mod mmap;
mod snapshot;
mod store;
mod typed;

pub use codec::{Codec, Serde};
pub use context::OpenContext;
pub use dir::StateDirLock;
pub(crate) use dir::prepare_dir;
pub use error::StateError;
pub use keyed::KeyedStore;
pub use mem::MemStore;
pub use mmap::{Fingerprint, MmapOptions, MmapStore, SyncPolicy};
pub use store::{ByteStore, StateStore, StoreChoice};
pub use typed::Typed;
