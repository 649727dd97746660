//! One memory-mapped store per file: a second `MmapStore::open` of a file
//! that a live store holds fails (the first store's exclusive lock), and
//! succeeds once that store is dropped. A compaction, which swaps the file
//! for a new one, keeps the lock.

use laminar_runtime::state::{ByteStore, MmapOptions, MmapStore, StateError};

#[path = "common/temp_state.rs"]
mod temp_state;
use temp_state::TempState;

fn refused(file: &TempState) -> bool {
    match MmapStore::open(&file.0, MmapOptions::default()) {
        Err(StateError::Io { path, source }) => {
            assert_eq!(path, file.0);
            assert_eq!(source.kind(), std::io::ErrorKind::WouldBlock, "{source}");
            true
        }
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => false,
    }
}

#[test]
fn a_second_store_on_the_same_file_is_refused() {
    let file = TempState::new("lock");
    let mut s = MmapStore::open(&file.0, MmapOptions::default()).unwrap();
    s.put(b"k", b"v").unwrap();
    assert!(refused(&file));
    drop(s);
    let s = MmapStore::open(&file.0, MmapOptions::default()).unwrap();
    assert_eq!(s.get(b"k"), Some(&b"v"[..]));
}

#[test]
fn the_lock_survives_compaction_and_clear() {
    let file = TempState::new("lock-compact");
    let mut s = MmapStore::open(&file.0, MmapOptions::default()).unwrap();
    s.put(b"k", b"v1").unwrap();
    s.put(b"k", b"v2").unwrap();
    s.compact().unwrap();
    assert!(refused(&file));
    s.clear().unwrap();
    assert!(refused(&file));
    drop(s);
    assert!(!refused(&file));
}
