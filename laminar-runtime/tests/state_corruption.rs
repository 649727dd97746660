//! A damaged record: in the middle of the log (a flipped byte anywhere in a
//! record, lengths, checksum, key or value, with intact records after it),
//! opening fails with `StateError::Corrupt`, naming the file and the
//! record's offset, and leaves the file untouched: dropping the records
//! after it would be a silent rollback. Damage to the last record cannot be
//! told from a torn write and is cut like one (`state_torn_tail.rs`).

use std::path::Path;

use laminar_runtime::state::{ByteStore, MmapOptions, MmapStore, StateError, SyncPolicy};

#[path = "common/temp_state.rs"]
mod temp_state;
use temp_state::TempState;

const N: usize = 10;
/// The record that gets damaged.
const BAD: usize = 4;

const OPTIONS: MmapOptions = MmapOptions {
    sync: SyncPolicy::Never,
    initial_len: 4096,
};

fn key(i: usize) -> Vec<u8> {
    format!("k{i}").into_bytes()
}

fn value(i: usize) -> Vec<u8> {
    vec![i as u8 + 1; 6 + i]
}

/// Writes the N records; returns the file's bytes and the bounds of
/// record `which`.
fn written(path: &Path, which: usize) -> (Vec<u8>, usize, usize) {
    let mut s = MmapStore::open(path, OPTIONS).unwrap();
    let mut bounds = (0, 0);
    for i in 0..N {
        if i == which {
            bounds.0 = s.data_len() as usize;
        }
        s.put(&key(i), &value(i)).unwrap();
        if i == which {
            bounds.1 = s.data_len() as usize;
        }
    }
    drop(s);
    (std::fs::read(path).unwrap(), bounds.0, bounds.1)
}

#[test]
fn a_flipped_byte_in_the_middle_is_a_typed_error_and_the_file_is_untouched() {
    let src = TempState::new("corrupt-src");
    let (bytes, start, end) = written(&src.0, BAD);

    let copy = TempState::new("corrupt");
    for at in start..end {
        for flip in [0x01u8, 0x80, 0xFF] {
            let mut damaged = bytes.clone();
            damaged[at] ^= flip;
            std::fs::write(&copy.0, &damaged).unwrap();
            match MmapStore::open(&copy.0, OPTIONS) {
                Err(e @ StateError::Corrupt { .. }) => {
                    let StateError::Corrupt { ref path, offset } = e else {
                        unreachable!()
                    };
                    assert_eq!(path, &copy.0);
                    assert_eq!(offset, start as u64, "byte {at} ^ {flip:#x}");
                    let msg = e.to_string();
                    assert!(
                        msg.contains(&copy.0.display().to_string())
                            && msg.contains(&format!("byte {start}")),
                        "{msg}"
                    );
                }
                other => panic!("byte {at} ^ {flip:#x}: {other:?}"),
            }
            // Nothing was cut, zeroed or extended: a backup can still be
            // compared, or the damage repaired by hand.
            assert_eq!(
                std::fs::read(&copy.0).unwrap(),
                damaged,
                "byte {at} ^ {flip:#x}: the file changed"
            );
        }
    }
}

#[test]
fn a_flipped_byte_in_the_last_record_is_cut_like_a_torn_write() {
    let src = TempState::new("corrupt-last-src");
    let (bytes, start, end) = written(&src.0, N - 1);
    let copy = TempState::new("corrupt-last");
    for at in start..end {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0xFF;
        std::fs::write(&copy.0, &damaged).unwrap();
        let s = MmapStore::open(&copy.0, OPTIONS).unwrap();
        assert_eq!(s.data_len() as usize, start, "byte {at}");
        assert_eq!(s.len(), N - 1);
        for i in 0..N - 1 {
            assert_eq!(s.get(&key(i)), Some(&value(i)[..]), "byte {at}: record {i}");
        }
    }
}
