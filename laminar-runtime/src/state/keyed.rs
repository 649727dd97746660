//! The store a stateful stage holds: in memory until it is opened on its
//! core, then in memory or in a memory-mapped file, as the runtime chose.
//! The stage's code is the same either way.

use core::hash::Hash;
use core::ops::RangeBounds;

use super::mmap::{Fingerprint, MmapOptions, MmapStore};
use super::{Codec, MemStore, OpenContext, StateError, StateStore, StoreChoice, Typed};
use crate::checkpoint::{Snapshot, StageId};

/// One stage's keyed state on one core.
#[derive(Debug)]
pub enum KeyedStore<K, V> {
    /// In memory.
    Memory(MemStore<K, V>),
    /// In a memory-mapped file.
    Mapped(Typed<MmapStore, K, V>),
}

impl<K, V> Default for KeyedStore<K, V> {
    fn default() -> Self {
        KeyedStore::Memory(MemStore::new())
    }
}

impl<K, V> KeyedStore<K, V> {
    /// Opens the store the runtime chose for stage `stage` on this core:
    /// `<dir>/core-<n>/<stage>.state` for the memory-mapped one, which
    /// records the stage and the names of `K` and `V` when it is created and
    /// checks them when it is opened again
    /// ([`StateError::TypeChanged`] if they differ).
    pub fn open(&mut self, cx: &OpenContext, stage: &str) -> Result<(), StateError> {
        let StoreChoice::Mmap(dir) = &cx.store else {
            return Ok(());
        };
        let dir = dir.join(format!("core-{}", cx.core));
        std::fs::create_dir_all(&dir).map_err(|source| StateError::Io {
            path: dir.clone(),
            source,
        })?;
        let store = MmapStore::open_as(
            dir.join(format!("{stage}.state")),
            MmapOptions::default(),
            &Fingerprint::of::<K, V>(stage),
        )?;
        *self = KeyedStore::Mapped(Typed::new(store));
        Ok(())
    }
}

impl<K: Hash + Eq + Codec, V: Clone + Codec> KeyedStore<K, V> {
    /// Writes every entry to `snap`, in stage section `stage` as kind
    /// `part`, each in its key's key group.
    pub fn save(&self, snap: &mut Snapshot, stage: StageId, part: u8) -> Result<(), StateError> {
        match self {
            KeyedStore::Memory(m) => {
                for (k, v) in m.iter() {
                    snap.put_keyed(stage, part, k, v)?;
                }
                Ok(())
            }
            KeyedStore::Mapped(m) => {
                let mut failed = None;
                m.prefix(&[], |k, v| {
                    if failed.is_none()
                        && let Err(e) = snap.put_keyed(stage, part, k, v)
                    {
                        failed = Some(e);
                    }
                })?;
                failed.map_or(Ok(()), Err)
            }
        }
    }

    /// Replaces every entry with `entries`: a recovering run's state,
    /// whatever the store held (a memory-mapped file keeps what was
    /// written after the checkpoint, which must not count).
    pub fn load(
        &mut self,
        entries: impl Iterator<Item = Result<(K, V), StateError>>,
    ) -> Result<(), StateError> {
        self.restore(&[])?;
        for entry in entries {
            let (k, v) = entry?;
            self.put(k, v)?;
        }
        Ok(())
    }
}

macro_rules! both {
    ($self:expr, $s:ident => $e:expr) => {
        match $self {
            KeyedStore::Memory($s) => $e,
            KeyedStore::Mapped($s) => $e,
        }
    };
}

impl<K: Hash + Eq + Codec, V: Clone + Codec> StateStore<K, V> for KeyedStore<K, V> {
    #[inline]
    fn get(&self, key: &K) -> Result<Option<V>, StateError> {
        both!(self, s => s.get(key))
    }
    #[inline]
    fn put(&mut self, key: K, value: V) -> Result<(), StateError> {
        both!(self, s => s.put(key, value))
    }
    #[inline]
    fn delete(&mut self, key: &K) -> Result<bool, StateError> {
        both!(self, s => s.delete(key))
    }
    fn contains(&self, key: &K) -> Result<bool, StateError> {
        both!(self, s => s.contains(key))
    }
    fn len(&self) -> usize {
        both!(self, s => s.len())
    }
    fn range<R: RangeBounds<K>>(&self, range: R, f: impl FnMut(&K, &V)) -> Result<(), StateError>
    where
        K: Ord,
    {
        both!(self, s => s.range(range, f))
    }
    fn prefix(&self, prefix: &[u8], f: impl FnMut(&K, &V)) -> Result<(), StateError> {
        both!(self, s => s.prefix(prefix, f))
    }
    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        both!(self, s => s.snapshot())
    }
    fn restore(&mut self, snapshot: &[u8]) -> Result<(), StateError> {
        both!(self, s => s.restore(snapshot))
    }
    fn flush(&mut self) -> Result<(), StateError> {
        both!(self, s => s.flush())
    }
}
