//! A crash in the middle of the last write: for every length that cuts the
//! last record short (the file truncated there, or the rest of the record
//! zeroed or overwritten with garbage, as an unfinished page write leaves
//! it, or its head zeroed and the rest there, as a lost page leaves it),
//! reopening gives exactly the records before it with their values, never
//! garbage nor an error: with no valid record after it, a damaged last
//! record is a torn write (damage with valid records after it is
//! `state_corruption.rs`). And a put after that reopen is durable: it is
//! there on the next reopen, and nothing of the torn record comes back.

use std::path::Path;

use laminar_runtime::state::{ByteStore, MmapOptions, MmapStore, SyncPolicy};

#[path = "common/temp_state.rs"]
mod temp_state;
use temp_state::TempState;

/// Records written; the last one is torn.
const N: usize = 12;

/// `Never`: nothing here needs a real sync (a reopen reads the page
/// cache), and it keeps hundreds of reopens fast.
const OPTIONS: MmapOptions = MmapOptions {
    sync: SyncPolicy::Never,
    initial_len: 4096,
};

fn key(i: usize) -> Vec<u8> {
    format!("key-{i}").into_bytes()
}

fn value(i: usize) -> Vec<u8> {
    (0..i * 5 + 3).map(|j| (i * 31 + j) as u8).collect()
}

/// Checks that the store at `path` holds the first `n` records, plus
/// `extra` if given, and nothing else.
fn assert_holds(path: &Path, n: usize, extra: Option<(&[u8], &[u8])>, what: &str) {
    let s = MmapStore::open(path, OPTIONS).unwrap();
    let mut want = n;
    for i in 0..N {
        let got = s.get(&key(i));
        if i < n {
            assert_eq!(got, Some(&value(i)[..]), "{what}: record {i}");
        } else {
            assert_eq!(got, None, "{what}: record {i} should be gone");
        }
    }
    if let Some((k, v)) = extra {
        assert_eq!(s.get(k), Some(v), "{what}: the put after the reopen");
        want += 1;
    }
    let mut seen = 0;
    s.scan(&mut |_, _| seen += 1);
    assert_eq!((s.len(), seen), (want, want), "{what}: extra entries");
}

#[test]
fn every_cut_inside_the_last_record_keeps_the_ones_before() {
    let dir = TempState::new("torn-src");
    let (start, end) = {
        let mut s = MmapStore::open(&dir.0, OPTIONS).unwrap();
        for i in 0..N - 1 {
            s.put(&key(i), &value(i)).unwrap();
        }
        let start = s.data_len() as usize;
        s.put(&key(N - 1), &value(N - 1)).unwrap();
        (start, s.data_len() as usize)
    };
    let bytes = std::fs::read(&dir.0).unwrap();
    assert!(end - start > 12 + 8, "the last record has a body");

    let copy = TempState::new("torn");
    for cut in start..=end {
        // All N records survive only when nothing is cut.
        let n = if cut == end { N } else { N - 1 };
        let tears: [(&str, Vec<u8>, usize); 4] = [
            ("truncated", bytes[..cut].to_vec(), n),
            (
                "zeroed",
                {
                    let mut b = bytes.clone();
                    b[cut..end].fill(0);
                    b
                },
                n,
            ),
            (
                "garbage",
                {
                    let mut b = bytes.clone();
                    b[cut..end].fill(0xA5);
                    b
                },
                n,
            ),
            // The head lost up to the cut, the rest there.
            (
                "head lost",
                {
                    let mut b = bytes.clone();
                    b[start..cut].fill(0);
                    b
                },
                if cut == start { N } else { N - 1 },
            ),
        ];
        for (how, torn, n) in tears {
            let what = format!("{how} at {cut} (record {start}..{end})");
            std::fs::write(&copy.0, &torn).unwrap();
            assert_holds(&copy.0, n, None, &what);
            {
                let mut s = MmapStore::open(&copy.0, OPTIONS).unwrap();
                assert_eq!(s.data_len() as usize, if n == N { end } else { start });
                s.put(b"after", b"the crash").unwrap();
                s.flush().unwrap();
            }
            assert_holds(&copy.0, n, Some((b"after", b"the crash")), &what);
        }
    }
}
