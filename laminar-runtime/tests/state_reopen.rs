//! The memory-mapped store keeps its data across a drop and a reopen:
//! after puts, overwrites and deletes; after an explicit compaction; after
//! the automatic compactions that heavy overwriting triggers; after a
//! clear; and for keys of every length from empty to 63 bytes. The live
//! and dead byte counts rebuilt on open match the ones the store kept
//! while writing.

use std::collections::BTreeMap;
use std::path::Path;

use laminar_runtime::state::mmap::COMPACT_MIN_BYTES;
use laminar_runtime::state::{ByteStore, MmapOptions, MmapStore, StateStore, SyncPolicy, Typed};

#[path = "common/temp_state.rs"]
mod temp_state;
use temp_state::TempState;

type Store = Typed<MmapStore, u64, String>;

fn open(path: &Path) -> Store {
    let options = MmapOptions {
        sync: SyncPolicy::OnFlush,
        initial_len: 4096,
    };
    Typed::new(MmapStore::open(path, options).unwrap())
}

fn contents(s: &Store) -> BTreeMap<u64, String> {
    let mut all = BTreeMap::new();
    s.range(.., |k, v| {
        all.insert(*k, v.clone());
    })
    .unwrap();
    all
}

/// Puts, overwrites and deletes, mirrored in a model.
fn write(s: &mut Store, model: &mut BTreeMap<u64, String>) {
    for k in 0..2_000u64 {
        let v = format!("value-{k}-{}", "x".repeat((k % 17) as usize));
        s.put(k, v.clone()).unwrap();
        model.insert(k, v);
    }
    for k in (0..2_000u64).step_by(3) {
        assert!(s.delete(&k).unwrap());
        model.remove(&k);
    }
    for k in (0..2_000u64).step_by(5) {
        s.put(k, format!("again-{k}")).unwrap();
        model.insert(k, format!("again-{k}"));
    }
    assert!(!s.delete(&1_000_000).unwrap());
}

/// Drops `s`, reopens its file and checks the data and the byte counts.
fn reopen(s: Store, model: &BTreeMap<u64, String>) -> Store {
    let (path, live, dead, end) = {
        let m = s.inner();
        (
            m.path().to_owned(),
            m.live_bytes(),
            m.dead_bytes(),
            m.data_len(),
        )
    };
    drop(s);
    let s = open(&path);
    assert_eq!(&contents(&s), model);
    assert_eq!(s.len(), model.len());
    for (k, v) in model {
        assert_eq!(s.get(k).unwrap().as_ref(), Some(v));
    }
    let m = s.inner();
    assert_eq!(
        (m.live_bytes(), m.dead_bytes(), m.data_len()),
        (live, dead, end)
    );
    s
}

#[test]
fn reopen_after_puts_overwrites_and_deletes() {
    let file = TempState::new("reopen");
    let mut model = BTreeMap::new();
    let mut s = open(&file.0);
    write(&mut s, &mut model);
    assert!(s.inner().dead_bytes() > 0);
    let mut s = reopen(s, &model);

    // Writes after a reopen land after the old records.
    s.put(5_000, "late".into()).unwrap();
    s.delete(&1).unwrap();
    model.insert(5_000, "late".into());
    model.remove(&1);
    reopen(s, &model);
}

#[test]
fn reopen_after_compaction() {
    let file = TempState::new("compact");
    let mut model = BTreeMap::new();
    let mut s = open(&file.0);
    write(&mut s, &mut model);
    let before = s.inner().data_len();
    s.inner_mut().compact().unwrap();
    let m = s.inner();
    assert_eq!(m.dead_bytes(), 0);
    assert_eq!(m.data_len(), m.header_len() + m.live_bytes());
    assert!(m.data_len() < before);
    assert_eq!(contents(&s), model);
    let mut s = reopen(s, &model);

    // And the compacted file takes new writes.
    s.put(7, "seven".into()).unwrap();
    model.insert(7, "seven".into());
    reopen(s, &model);
}

#[test]
fn heavy_overwriting_compacts_by_itself() {
    let file = TempState::new("auto");
    let mut s = open(&file.0);
    let mut model = BTreeMap::new();
    let mut written = 0u64;
    // 64 keys overwritten until ~8 MiB of records went through the file.
    let value = "v".repeat(100);
    let mut i = 0u64;
    let (mut compactions, mut last_len) = (0, 0);
    while written < 8 * COMPACT_MIN_BYTES {
        let k = i % 64;
        let v = format!("{i}{value}");
        written += 12 + 1 + v.len() as u64;
        s.put(k, v.clone()).unwrap();
        model.insert(k, v);
        i += 1;
        let m = s.inner();
        if m.data_len() < last_len {
            compactions += 1;
        }
        last_len = m.data_len();
        // Dead bytes never pile up past the threshold by more than one
        // record: a put over it compacts.
        assert!(
            m.data_len() <= COMPACT_MIN_BYTES + 512 || m.dead_bytes() <= m.live_bytes(),
            "no compaction: {m:?}"
        );
    }
    // About 1 MiB of records between compactions.
    assert!(compactions >= 6, "{compactions} compactions");
    assert!(
        s.inner().capacity() < 4 * COMPACT_MIN_BYTES,
        "{:?}",
        s.inner()
    );
    assert_eq!(contents(&s), model);
    reopen(s, &model);
}

#[test]
fn reopen_after_clear() {
    let file = TempState::new("clear");
    let mut model = BTreeMap::new();
    let mut s = open(&file.0);
    write(&mut s, &mut model);
    s.inner_mut().clear().unwrap();
    model.clear();
    assert!(s.is_empty());
    let mut s = reopen(s, &model);
    s.put(3, "three".into()).unwrap();
    model.insert(3, "three".into());
    reopen(s, &model);
}

#[test]
fn every_sync_policy_reopens_the_same() {
    for sync in [
        SyncPolicy::Never,
        SyncPolicy::OnFlush,
        SyncPolicy::EveryWrite,
    ] {
        let file = TempState::new("policy");
        let options = MmapOptions {
            sync,
            ..MmapOptions::default()
        };
        let mut s = MmapStore::open(&file.0, options).unwrap();
        for k in 0u32..300 {
            s.put(&k.to_le_bytes(), &k.to_be_bytes()).unwrap();
        }
        s.delete(&7u32.to_le_bytes()).unwrap();
        s.flush().unwrap();
        drop(s);
        let s = MmapStore::open(&file.0, options).unwrap();
        assert_eq!(s.len(), 299);
        assert_eq!(s.get(&7u32.to_le_bytes()), None);
        assert_eq!(s.get(&8u32.to_le_bytes()), Some(&8u32.to_be_bytes()[..]));
    }
}

#[test]
fn keys_of_every_length_survive_reopen_and_compaction() {
    // The index keeps short keys inline and boxes long ones: lengths on
    // both sides of the boundary, and the empty key.
    let file = TempState::new("lengths");
    let options = MmapOptions {
        sync: SyncPolicy::Never,
        initial_len: 4096,
    };
    let key = |n: usize| (0..n).map(|i| (n * 7 + i) as u8).collect::<Vec<u8>>();
    let value = |n: usize| vec![n as u8; n % 5];
    let check = |s: &MmapStore| {
        assert_eq!(s.len(), 64);
        for n in 0..64 {
            assert_eq!(s.get(&key(n)), Some(&value(n)[..]), "key of {n} bytes");
        }
        let mut seen = 0;
        s.scan(&mut |k, v| {
            assert_eq!(v, &value(k.len())[..]);
            seen += 1;
        });
        assert_eq!(seen, 64);
    };
    let mut s = MmapStore::open(&file.0, options).unwrap();
    for n in 0..64 {
        s.put(&key(n), b"old").unwrap();
        s.put(&key(n), &value(n)).unwrap();
    }
    check(&s);
    drop(s);
    let mut s = MmapStore::open(&file.0, options).unwrap();
    check(&s);
    s.compact().unwrap();
    check(&s);
    drop(s);
    check(&MmapStore::open(&file.0, options).unwrap());
}
