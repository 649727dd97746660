//! The state file's header: a non-empty file must start with a valid one
//! (magic, version, checksummed fingerprint), or opening fails and leaves
//! it alone; all zeroes included, which used to open as an empty store.
//! `open_as` checks the fingerprint: another stage or other types are
//! typed errors naming both.

use laminar_runtime::state::{
    ByteStore, Fingerprint, MmapOptions, MmapStore, StateError, SyncPolicy,
};

#[path = "common/temp_state.rs"]
mod temp_state;
use temp_state::TempState;

const OPTIONS: MmapOptions = MmapOptions {
    sync: SyncPolicy::Never,
    initial_len: 4096,
};

#[test]
fn a_foreign_file_is_refused_and_left_alone() {
    let file = TempState::new("foreign");
    for content in [&b"hello, world"[..], b"LAM", b"LAMST\0\0\x02"] {
        std::fs::write(&file.0, content).unwrap();
        match MmapStore::open(&file.0, OPTIONS) {
            Err(StateError::BadHeader { path }) => assert_eq!(path, file.0),
            other => panic!("{content:?}: {other:?}"),
        }
        assert_eq!(std::fs::read(&file.0).unwrap(), content);
    }
}

#[test]
fn a_non_empty_all_zero_file_is_an_error() {
    let file = TempState::new("zeroes");
    for len in [1, 8, 100, 4096, 1 << 20] {
        let content = vec![0u8; len];
        std::fs::write(&file.0, &content).unwrap();
        match MmapStore::open(&file.0, OPTIONS) {
            Err(e @ StateError::BadHeader { .. }) => {
                assert!(e.to_string().contains("not a Laminar state file"), "{e}");
            }
            other => panic!("{len} zeroes: {other:?}"),
        }
        assert_eq!(std::fs::read(&file.0).unwrap(), content, "{len} zeroes");
    }
    // An empty file is a new store.
    std::fs::write(&file.0, b"").unwrap();
    assert!(MmapStore::open(&file.0, OPTIONS).unwrap().is_empty());
}

#[test]
fn another_format_version_is_named() {
    let file = TempState::new("version");
    // What version 1 wrote: the magic, then records.
    let content = b"LAMST\0\0\x01\x01\0\0\0\x01\0\0\0\0\0\0\0kv";
    std::fs::write(&file.0, content).unwrap();
    match MmapStore::open(&file.0, OPTIONS) {
        Err(
            e @ StateError::UnsupportedVersion {
                version: 1,
                supported: 2,
                ..
            },
        ) => assert!(e.to_string().contains("format version 1"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(std::fs::read(&file.0).unwrap(), content);
}

#[test]
fn a_damaged_header_is_refused() {
    let file = TempState::new("header");
    let fp = Fingerprint::of::<u64, String>("3-fold");
    let header_len = {
        let mut s = MmapStore::open_as(&file.0, OPTIONS, &fp).unwrap();
        s.put(b"k", b"v").unwrap();
        s.header_len() as usize
    };
    let bytes = std::fs::read(&file.0).unwrap();
    for at in 0..header_len {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x40;
        std::fs::write(&file.0, &damaged).unwrap();
        match MmapStore::open_as(&file.0, OPTIONS, &fp) {
            Err(StateError::BadHeader { .. } | StateError::UnsupportedVersion { .. }) => {}
            other => panic!("byte {at}: {other:?}"),
        }
        assert_eq!(std::fs::read(&file.0).unwrap(), damaged, "byte {at}");
    }
}

#[test]
fn the_fingerprint_is_recorded_and_checked() {
    let file = TempState::new("fingerprint");
    let fp = Fingerprint::of::<u64, (u64, u64)>("1-fold");
    {
        let mut s = MmapStore::open_as(&file.0, OPTIONS, &fp).unwrap();
        s.put(b"k", b"v").unwrap();
    }
    // The same: fine, and the record is there.
    let s = MmapStore::open_as(&file.0, OPTIONS, &fp).unwrap();
    assert_eq!(s.fingerprint(), &fp);
    assert_eq!(s.get(b"k"), Some(&b"v"[..]));
    drop(s);
    // A plain `open` does not check.
    drop(MmapStore::open(&file.0, OPTIONS).unwrap());

    let changed = Fingerprint::of::<u64, u32>("1-fold");
    match MmapStore::open_as(&file.0, OPTIONS, &changed) {
        Err(e) => {
            let msg = e.to_string();
            let StateError::TypeChanged {
                stage,
                on_disk,
                now,
                ..
            } = e
            else {
                panic!("{e:?}")
            };
            assert_eq!(stage, "1-fold");
            assert_eq!(on_disk, "key type `u64` and value type `(u64, u64)`");
            assert_eq!(now, "key type `u64` and value type `u32`");
            assert!(
                msg.contains("`1-fold`") && msg.contains("(u64, u64)"),
                "{msg}"
            );
        }
        Ok(s) => panic!("{s:?}"),
    }
    match MmapStore::open_as(
        &file.0,
        OPTIONS,
        &Fingerprint::of::<u64, (u64, u64)>("2-fold"),
    ) {
        Err(StateError::OtherStage { on_disk, now, .. }) => {
            assert_eq!((on_disk.as_str(), now.as_str()), ("1-fold", "2-fold"));
        }
        other => panic!("{other:?}"),
    }
    // Neither check changed the file.
    let s = MmapStore::open_as(&file.0, OPTIONS, &fp).unwrap();
    assert_eq!(s.get(b"k"), Some(&b"v"[..]));
}
