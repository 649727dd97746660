//! Both state stores against a model: random sequences of put, get,
//! delete, contains, len, range, snapshot/restore and flush (plus reopen
//! and compaction for the memory-mapped store) run on `MemStore<u16, u32>`
//! and on `Typed<MmapStore, u16, u32>` next to a `BTreeMap`; every read
//! must agree with the model, and so must the whole content at the end.

use std::collections::BTreeMap;

use laminar_runtime::state::{MemStore, MmapOptions, MmapStore, StateStore, SyncPolicy, Typed};
use proptest::prelude::*;

#[path = "common/temp_state.rs"]
mod temp_state;
use temp_state::TempState;

#[derive(Clone, Debug)]
enum Op {
    Put(u16, u32),
    /// 100 puts to one key, the last value wins: grows the file past its
    /// first 4 KiB and leaves dead records behind.
    Churn(u16, u32),
    Get(u16),
    Delete(u16),
    Contains(u16),
    Len,
    Range(u16, u16),
    Snapshot,
    Restore,
    Flush,
    /// Drop the store and open its file again (memory-mapped store only).
    Reopen,
    /// Compact now (memory-mapped store only).
    Compact,
}

/// Mostly a few dozen keys, so puts overwrite and deletes hit; sometimes
/// any key, so the encodings vary in length.
fn key() -> impl Strategy<Value = u16> {
    prop_oneof![4 => 0u16..48, 1 => any::<u16>()]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (key(), any::<u32>()).prop_map(|(k, v)| Op::Put(k, v)),
        1 => (key(), any::<u32>()).prop_map(|(k, v)| Op::Churn(k, v)),
        4 => key().prop_map(Op::Get),
        3 => key().prop_map(Op::Delete),
        2 => key().prop_map(Op::Contains),
        1 => Just(Op::Len),
        2 => (key(), key()).prop_map(|(a, b)| Op::Range(a.min(b), a.max(b))),
        1 => Just(Op::Snapshot),
        1 => Just(Op::Restore),
        1 => Just(Op::Flush),
        1 => Just(Op::Reopen),
        1 => Just(Op::Compact),
    ]
}

fn policy() -> impl Strategy<Value = SyncPolicy> {
    prop_oneof![
        Just(SyncPolicy::Never),
        Just(SyncPolicy::OnFlush),
        Just(SyncPolicy::EveryWrite)
    ]
}

fn contents<S: StateStore<u16, u32>>(s: &S) -> Vec<(u16, u32)> {
    let mut all = Vec::new();
    s.range(.., |k, v| all.push((*k, *v))).unwrap();
    all
}

/// Runs `ops` on `store` and on a model; `reopen` and `compact` are what
/// those two operations do to this kind of store.
fn check<S: StateStore<u16, u32>>(
    mut store: S,
    ops: &[Op],
    reopen: impl Fn(S) -> S,
    compact: impl Fn(&mut S),
) -> Result<(), TestCaseError> {
    let mut model = BTreeMap::<u16, u32>::new();
    let mut snap: Option<(Vec<u8>, BTreeMap<u16, u32>)> = None;
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Op::Put(k, v) => {
                store.put(k, v).unwrap();
                model.insert(k, v);
            }
            Op::Churn(k, v) => {
                for j in 0..100 {
                    store.put(k, v.wrapping_add(j)).unwrap();
                }
                model.insert(k, v.wrapping_add(99));
            }
            Op::Get(k) => {
                prop_assert_eq!(store.get(&k).unwrap(), model.get(&k).copied(), "op {}", i)
            }
            Op::Delete(k) => {
                prop_assert_eq!(
                    store.delete(&k).unwrap(),
                    model.remove(&k).is_some(),
                    "op {}",
                    i
                )
            }
            Op::Contains(k) => {
                prop_assert_eq!(
                    store.contains(&k).unwrap(),
                    model.contains_key(&k),
                    "op {}",
                    i
                )
            }
            Op::Len => {
                prop_assert_eq!(store.len(), model.len(), "op {}", i);
                prop_assert_eq!(store.is_empty(), model.is_empty(), "op {}", i);
            }
            Op::Range(lo, hi) => {
                let mut got = Vec::new();
                store.range(lo..=hi, |k, v| got.push((*k, *v))).unwrap();
                let want: Vec<_> = model.range(lo..=hi).map(|(k, v)| (*k, *v)).collect();
                prop_assert_eq!(got, want, "op {}", i);
            }
            Op::Snapshot => snap = Some((store.snapshot().unwrap(), model.clone())),
            Op::Restore => {
                if let Some((bytes, m)) = &snap {
                    store.restore(bytes).unwrap();
                    model = m.clone();
                }
            }
            Op::Flush => store.flush().unwrap(),
            Op::Reopen => {
                store = reopen(store);
                prop_assert_eq!(store.len(), model.len(), "op {}", i);
            }
            Op::Compact => compact(&mut store),
        }
    }
    let want: Vec<_> = model.into_iter().collect();
    prop_assert_eq!(contents(&store), want);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn mem_store_agrees_with_a_btreemap(ops in prop::collection::vec(op(), 1..200)) {
        check(MemStore::<u16, u32>::new(), &ops, |s| s, |_| {})?;
    }

    #[test]
    fn mmap_store_agrees_with_a_btreemap(
        ops in prop::collection::vec(op(), 1..200),
        sync in policy(),
    ) {
        let file = TempState::new("model");
        // A small first length, so the file grows and remaps.
        let options = MmapOptions { sync, initial_len: 4096 };
        let open = || Typed::<_, u16, u32>::new(MmapStore::open(&file.0, options).unwrap());
        check(
            open(),
            &ops,
            |s| {
                drop(s);
                open()
            },
            |s| s.inner_mut().compact().unwrap(),
        )?;
    }
}
