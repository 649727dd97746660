//! A typed view of a byte store: keys and values go through [`Codec`], with
//! encode buffers kept between calls so steady-state reads and writes
//! allocate nothing for fixed-size types.

use core::cell::RefCell;
use core::marker::PhantomData;
use core::ops::RangeBounds;

use super::snapshot::{read_entries, write_entry};
use super::store::ByteStore;
use super::{Codec, StateError, StateStore};

/// `S`'s bytes as keys `K` and values `V`.
#[derive(Debug)]
pub struct Typed<S, K, V> {
    store: S,
    key_buf: RefCell<Vec<u8>>,
    value_buf: Vec<u8>,
    _types: PhantomData<fn(K) -> V>,
}

impl<S, K, V> Typed<S, K, V> {
    /// Wraps a byte store.
    pub fn new(store: S) -> Self {
        Typed {
            store,
            key_buf: RefCell::new(Vec::new()),
            value_buf: Vec::new(),
            _types: PhantomData,
        }
    }

    /// The byte store inside.
    pub fn inner(&self) -> &S {
        &self.store
    }

    /// The byte store inside, mutably.
    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.store
    }
}

impl<S: ByteStore, K: Codec, V: Codec> Typed<S, K, V> {
    fn with_key<R>(&self, key: &K, f: impl FnOnce(&S, &[u8]) -> R) -> Result<R, StateError> {
        let mut buf = self.key_buf.borrow_mut();
        buf.clear();
        key.encode(&mut buf)?;
        Ok(f(&self.store, &buf))
    }
}

impl<S: ByteStore, K: Codec, V: Codec> StateStore<K, V> for Typed<S, K, V> {
    #[inline]
    fn get(&self, key: &K) -> Result<Option<V>, StateError> {
        self.with_key(key, |s, k| s.get(k).map(V::decode).transpose())?
    }

    fn put(&mut self, key: K, value: V) -> Result<(), StateError> {
        let mut kb = std::mem::take(self.key_buf.get_mut());
        kb.clear();
        key.encode(&mut kb)?;
        self.value_buf.clear();
        value.encode(&mut self.value_buf)?;
        let r = self.store.put(&kb, &self.value_buf);
        *self.key_buf.get_mut() = kb;
        r
    }

    fn delete(&mut self, key: &K) -> Result<bool, StateError> {
        let mut kb = std::mem::take(self.key_buf.get_mut());
        kb.clear();
        key.encode(&mut kb)?;
        let r = self.store.delete(&kb);
        *self.key_buf.get_mut() = kb;
        r
    }

    fn contains(&self, key: &K) -> Result<bool, StateError> {
        self.with_key(key, |s, k| s.get(k).is_some())
    }

    fn len(&self) -> usize {
        self.store.len()
    }

    /// Encoded keys are not in `K`'s order: this decodes every key and
    /// sorts the matches, O(n log n).
    fn range<R: RangeBounds<K>>(
        &self,
        range: R,
        mut f: impl FnMut(&K, &V),
    ) -> Result<(), StateError>
    where
        K: Ord,
    {
        let mut hits = Vec::new();
        let mut err = None;
        self.store.scan(&mut |k, v| {
            if err.is_some() {
                return;
            }
            match K::decode(k) {
                Ok(key) if range.contains(&key) => match V::decode(v) {
                    Ok(value) => hits.push((key, value)),
                    Err(e) => err = Some(e),
                },
                Ok(_) => {}
                Err(e) => err = Some(e),
            }
        });
        if let Some(e) = err {
            return Err(e);
        }
        hits.sort_by(|a, b| a.0.cmp(&b.0));
        for (k, v) in &hits {
            f(k, v);
        }
        Ok(())
    }

    fn prefix(&self, prefix: &[u8], mut f: impl FnMut(&K, &V)) -> Result<(), StateError> {
        let mut err = None;
        self.store.scan(&mut |k, v| {
            if err.is_none() && k.starts_with(prefix) {
                match (K::decode(k), V::decode(v)) {
                    (Ok(key), Ok(value)) => f(&key, &value),
                    (Err(e), _) | (_, Err(e)) => err = Some(e),
                }
            }
        });
        err.map_or(Ok(()), Err)
    }

    fn snapshot(&self) -> Result<Vec<u8>, StateError> {
        let mut out = Vec::new();
        self.store.scan(&mut |k, v| write_entry(&mut out, k, v));
        Ok(out)
    }

    fn restore(&mut self, snapshot: &[u8]) -> Result<(), StateError> {
        // Parse fully first, so a corrupt snapshot leaves the store as it was.
        read_entries(snapshot, |_, _| Ok(()))?;
        self.store.clear()?;
        let store = &mut self.store;
        read_entries(snapshot, |k, v| store.put(k, v))
    }

    fn flush(&mut self) -> Result<(), StateError> {
        self.store.flush()
    }
}
