//! The one interface both stores implement.

use core::ops::RangeBounds;

use super::StateError;

/// Keyed state on one core: a map from `K` to `V` with scans, snapshots and
/// an explicit flush.
///
/// ```
/// use laminar_runtime::state::{MemStore, StateStore};
///
/// let mut s = MemStore::<u64, String>::new();
/// s.put(2, "b".into())?;
/// s.put(1, "a".into())?;
/// assert_eq!(s.get(&1)?, Some("a".into()));
/// let mut keys = Vec::new();
/// s.range(1..=2, |k, _| keys.push(*k))?;
/// assert_eq!(keys, [1, 2]);
/// let snap = s.snapshot()?;
/// s.delete(&1)?;
/// s.restore(&snap)?;
/// assert_eq!(s.len(), 2);
/// # Ok::<(), laminar_runtime::state::StateError>(())
/// ```
pub trait StateStore<K, V> {
    /// The value under `key`.
    fn get(&self, key: &K) -> Result<Option<V>, StateError>;
    /// Sets the value under `key`.
    fn put(&mut self, key: K, value: V) -> Result<(), StateError>;
    /// Removes `key`; true if it was there.
    fn delete(&mut self, key: &K) -> Result<bool, StateError>;
    /// Whether `key` has a value.
    fn contains(&self, key: &K) -> Result<bool, StateError>;
    /// Number of keys.
    fn len(&self) -> usize;
    /// No keys.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Calls `f` for every key in `range`, in key order.
    fn range<R: RangeBounds<K>>(&self, range: R, f: impl FnMut(&K, &V)) -> Result<(), StateError>
    where
        K: Ord;
    /// Calls `f` for every key whose encoding starts with `prefix` (for
    /// composite keys: a tuple's encoding starts with its first field's).
    fn prefix(&self, prefix: &[u8], f: impl FnMut(&K, &V)) -> Result<(), StateError>;
    /// Every entry, encoded: what a checkpoint keeps.
    fn snapshot(&self) -> Result<Vec<u8>, StateError>;
    /// Replaces every entry with those of `snapshot`.
    fn restore(&mut self, snapshot: &[u8]) -> Result<(), StateError>;
    /// Makes what was written durable, per the store's policy.
    fn flush(&mut self) -> Result<(), StateError>;
}

/// Where a stateful operator keeps its state on one core.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StoreChoice {
    /// In memory (the default).
    #[default]
    Memory,
    /// In memory-mapped files under this directory, one per core and stage.
    Mmap(std::path::PathBuf),
}

/// A store of byte keys and byte values: what the memory-mapped store is,
/// and what [`Typed`](super::Typed) turns into a [`StateStore`].
pub trait ByteStore {
    /// The value under `key`, borrowed from the store.
    fn get(&self, key: &[u8]) -> Option<&[u8]>;
    /// Sets the value under `key`.
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StateError>;
    /// Removes `key`; true if it was there.
    fn delete(&mut self, key: &[u8]) -> Result<bool, StateError>;
    /// Number of keys.
    fn len(&self) -> usize;
    /// No keys.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Calls `f` for every entry, in no particular order.
    fn scan(&self, f: &mut dyn FnMut(&[u8], &[u8]));
    /// Removes every entry.
    fn clear(&mut self) -> Result<(), StateError>;
    /// Makes what was written durable.
    fn flush(&mut self) -> Result<(), StateError>;
}
