//! The in-memory store: an `FxHashMap<K, V>`, typed, so reads and writes
//! encode nothing.

use core::hash::Hash;
use core::ops::RangeBounds;

use rustc_hash::FxHashMap;

use super::snapshot::{read_entries, write_entry};
use super::{Codec, StateError, StateStore};

/// Keyed state in memory.
#[derive(Debug, Clone)]
pub struct MemStore<K, V> {
    map: FxHashMap<K, V>,
}

impl<K, V> MemStore<K, V> {
    /// An empty store.
    pub fn new() -> Self {
        MemStore {
            map: FxHashMap::default(),
        }
    }
}

impl<K, V> Default for MemStore<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Hash + Eq + Codec, V: Clone + Codec> MemStore<K, V> {
    /// The value under `key`, borrowed: what the hot path of an operator
    /// uses instead of [`StateStore::get`], which clones.
    #[inline]
    pub fn get_ref(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter()
    }

    /// The value under `key`, mutably.
    #[inline]
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.map.get_mut(key)
    }
}

impl<K: Hash + Eq + Codec, V: Clone + Codec> StateStore<K, V> for MemStore<K, V> {
    #[inline]
    fn get(&self, key: &K) -> Result<Option<V>, StateError> {
        Ok(self.map.get(key).cloned())
    }

    #[inline]
    fn put(&mut self, key: K, value: V) -> Result<(), StateError> {
        self.map.insert(key, value);
        Ok(())
    }

    #[inline]
    fn delete(&mut self, key: &K) -> Result<bool, StateError> {
        Ok(self.map.remove(key).is_some())
    }

    #[inline]
    fn contains(&self, key: &K) -> Result<bool, StateError> {
        Ok(self.map.contains_key(key))
    }

    fn len(&self) -> usize {
        self.map.len()
    }

    /// A hash map has no order: this sorts the matching keys, O(n log n).
    fn range<R: RangeBounds<K>>(
        &self,
        range: R,
        mut f: impl FnMut(&K, &V),
    ) -> Result<(), StateError>
    where
        K: Ord,
    {
        let mut hits: Vec<(&K, &V)> = self.map.iter().filter(|(k, _)| range.contains(k)).collect();
        hits.sort_by(|a, b| a.0.cmp(b.0));
        for (k, v) in hits {
            f(k, v);
        }
        Ok(())
    }

    fn prefix(&self, prefix: &[u8], mut f: impl FnMut(&K, &V)) -> Result<(), StateError> {
        let mut buf = Vec::new();
        for (k, v) in &self.map {
            buf.clear();
            k.encode(&mut buf)?;
            if buf.starts_with(prefix) {
                f(k, v);
            }
        }
        Ok(())
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        let (mut out, mut kb, mut vb) = (Vec::new(), Vec::new(), Vec::new());
        for (k, v) in &self.map {
            kb.clear();
            vb.clear();
            k.encode(&mut kb)?;
            v.encode(&mut vb)?;
            write_entry(&mut out, &kb, &vb);
        }
        Ok(out)
    }

    fn restore(&mut self, snapshot: &[u8]) -> Result<(), StateError> {
        let mut map = FxHashMap::default();
        read_entries(snapshot, |k, v| {
            map.insert(K::decode(k)?, V::decode(v)?);
            Ok(())
        })?;
        self.map = map;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StateError> {
        Ok(())
    }
}
