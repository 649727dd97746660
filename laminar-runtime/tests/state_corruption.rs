//! A damaged record in the middle of the log: a flipped byte anywhere in a
//! record (lengths, checksum, key or value) makes its checksum fail, and
//! reopening cuts the log there. Records after a corrupt one are not
//! trusted, even if intact: without a valid record to go by, where the next
//! one starts is a guess, so they are dropped, and the file is zeroed from
//! the cut so that new writes never sit in front of stale ones. A file that
//! is not a state file is refused and left untouched.

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

fn held(path: &Path) -> Vec<usize> {
    let s = MmapStore::open(path, OPTIONS).unwrap();
    let held: Vec<usize> = (0..N)
        .filter(|&i| match s.get(&key(i)) {
            Some(v) => {
                assert_eq!(v, &value(i)[..], "record {i}");
                true
            }
            None => false,
        })
        .collect();
    assert_eq!(s.len(), held.len());
    held
}

#[test]
fn a_flipped_byte_cuts_the_log_at_its_record() {
    let src = TempState::new("corrupt-src");
    let (start, end) = {
        let mut s = MmapStore::open(&src.0, OPTIONS).unwrap();
        let mut bounds = (0, 0);
        for i in 0..N {
            if i == BAD {
                bounds.0 = s.data_len() as usize;
            }
            s.put(&key(i), &value(i)).unwrap();
            if i == BAD {
                bounds.1 = s.data_len() as usize;
            }
        }
        bounds
    };
    let bytes = std::fs::read(&src.0).unwrap();

    let copy = TempState::new("corrupt");
    for at in start..end {
        for flip in [0x01u8, 0x80, 0xFF] {
            let mut damaged = bytes.clone();
            damaged[at] ^= flip;
            std::fs::write(&copy.0, &damaged).unwrap();
            assert_eq!(
                held(&copy.0),
                (0..BAD).collect::<Vec<_>>(),
                "byte {at} ^ {flip:#x}"
            );
            {
                let mut s = MmapStore::open(&copy.0, OPTIONS).unwrap();
                assert_eq!(s.data_len() as usize, start);
                s.put(&key(N - 1), &value(N - 1)).unwrap();
            }
            // The new record, then zeroes: the intact records after the
            // damaged one are gone for good.
            let after = std::fs::read(&copy.0).unwrap();
            let new_end = start + 12 + key(N - 1).len() + value(N - 1).len();
            assert!(after[new_end..].iter().all(|&b| b == 0), "byte {at}");
            let mut want: Vec<_> = (0..BAD).collect();
            want.push(N - 1);
            assert_eq!(held(&copy.0), want, "byte {at} ^ {flip:#x}, then a put");
        }
    }
}

#[test]
fn a_foreign_file_is_refused_and_left_alone() {
    let file = TempState::new("foreign");
    for content in [
        &b"hello, world"[..],
        b"LAMST\0\0\x02 another version",
        b"LAM",
    ] {
        std::fs::write(&file.0, content).unwrap();
        match MmapStore::open(&file.0, OPTIONS) {
            Err(StateError::BadHeader { path }) => assert_eq!(path, file.0),
            other => panic!("{content:?}: {other:?}"),
        }
        assert_eq!(std::fs::read(&file.0).unwrap(), content);
    }
}
