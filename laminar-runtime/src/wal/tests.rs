use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::*;
use crate::source::{Position, Read, Source, SourceError, Split};

/// A fresh directory, removed on drop.
struct Tmp(PathBuf);

impl Tmp {
    fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("laminar-wal-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        Tmp(p)
    }
    fn file(&self) -> PathBuf {
        self.0.join(FILE_NAME)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

type Ev = (u64, String);

fn ev(i: u64) -> Ev {
    (i, "x".repeat(i as usize % 7))
}

fn never() -> WalOptions {
    WalOptions::new().sync(SyncPolicy::Never)
}

/// Everything a fresh split of `source` reads now, and how it stopped.
fn read_all<T: serde::Serialize + serde::de::DeserializeOwned + Send + 'static>(
    source: &mut WalSource<T>,
) -> (Vec<T>, Read) {
    let mut split = source.split(0, 1);
    let mut out = Vec::new();
    loop {
        let mut buf = Vec::new();
        let r = split.read(&mut buf, 3);
        out.extend(buf);
        if r != Read::More {
            return (out, r);
        }
    }
}

#[test]
fn events_round_trip_through_the_file() {
    let tmp = Tmp::new("round");
    let (mut input, mut source) = log::<Ev>(&tmp.0, never()).unwrap();
    assert!(input.is_empty());
    let mut ends = Vec::new();
    for i in 0..50 {
        ends.push(input.submit(&ev(i)).unwrap());
    }
    assert_eq!(*ends.last().unwrap(), input.len());
    assert_eq!(fs::metadata(tmp.file()).unwrap().len(), input.len());
    // Not closed yet: the source catches up and waits.
    let (got, r) = read_all(&mut source);
    assert_eq!(got, (0..50).map(ev).collect::<Vec<_>>());
    assert_eq!(r, Read::Idle);
    input.close().unwrap();
    drop(input);

    let (input, mut source) = log::<Ev>(&tmp.0, never()).unwrap();
    assert!(input.is_closed());
    assert_eq!(input.cut_bytes(), 0);
    let (got, r) = read_all(&mut source);
    assert_eq!(got.len(), 50);
    assert_eq!(r, Read::End);
    // Seeking to the end of each record reads the rest.
    for (i, &end) in ends.iter().enumerate() {
        let (_, mut source) = log::<Ev>(&tmp.0, never()).unwrap();
        source
            .seek(&[Position {
                partition: 0,
                offset: end,
            }])
            .unwrap();
        let (got, r) = read_all(&mut source);
        assert_eq!(got, (i as u64 + 1..50).map(ev).collect::<Vec<_>>());
        assert_eq!(r, Read::End);
    }
}

#[test]
fn the_split_tails_the_log_and_reports_its_position() {
    let tmp = Tmp::new("tail");
    let (mut input, mut source) = log::<u64>(&tmp.0, never()).unwrap();
    let mut split = source.split(0, 2);
    let mut buf = Vec::new();
    assert_eq!(split.read(&mut buf, 10), Read::Idle);
    input.submit(&1).unwrap();
    let at = input.submit(&2).unwrap();
    assert_eq!(split.read(&mut buf, 10), Read::More);
    assert_eq!(buf, [1, 2]);
    let mut pos = Vec::new();
    split.positions(&mut pos);
    assert_eq!(
        pos,
        [Position {
            partition: 0,
            offset: at
        }]
    );
    buf.clear();
    assert_eq!(split.read(&mut buf, 10), Read::Idle);
    input.close().unwrap();
    assert_eq!(split.read(&mut buf, 10), Read::End);
    assert!(buf.is_empty());
    // At the end marker, not past it.
    pos.clear();
    split.positions(&mut pos);
    assert_eq!(pos[0].offset, at);

    // The other core has no partition.
    let mut other = source.split(1, 2);
    assert_eq!(other.read(&mut buf, 10), Read::End);
    pos.clear();
    other.positions(&mut pos);
    assert!(pos.is_empty());
}

#[test]
fn a_torn_last_record_is_cut_at_every_byte() {
    let tmp = Tmp::new("torn");
    let (mut input, _) = log::<Ev>(&tmp.0, never()).unwrap();
    input.submit(&ev(1)).unwrap();
    let before = input.submit(&ev(2)).unwrap();
    let whole = input.submit(&ev(13)).unwrap();
    drop(input);
    let bytes = fs::read(tmp.file()).unwrap();
    assert_eq!(bytes.len() as u64, whole);
    for cut in before..whole {
        let t = Tmp::new("torn-at");
        fs::create_dir_all(&t.0).unwrap();
        fs::write(t.file(), &bytes[..cut as usize]).unwrap();
        let (mut input, mut source) = log::<Ev>(&t.0, never()).unwrap();
        assert_eq!(input.cut_bytes(), cut - before, "cut at {cut}");
        assert_eq!(input.len(), before);
        assert_eq!(fs::metadata(t.file()).unwrap().len(), before);
        assert!(!input.is_closed());
        // Appending after the cut gives a well-formed log.
        input.submit(&ev(3)).unwrap();
        input.close().unwrap();
        let (got, r) = read_all(&mut source);
        assert_eq!(got, [ev(1), ev(2), ev(3)], "cut at {cut}");
        assert_eq!(r, Read::End);
        let (again, _) = log::<Ev>(&t.0, never()).unwrap();
        assert_eq!(again.cut_bytes(), 0);
    }
}

#[test]
fn a_flipped_byte_is_counted_by_the_source_and_cut_on_reopen() {
    let tmp = Tmp::new("flip");
    let (mut input, mut source) = log::<u64>(&tmp.0, never()).unwrap();
    let errors = source.errors();
    let mut ends = vec![0];
    for i in 0..5 {
        ends.push(input.submit(&i).unwrap());
    }
    input.close().unwrap();
    // A byte of the third record's payload, flipped under the run.
    let mut bytes = fs::read(tmp.file()).unwrap();
    bytes[ends[2] as usize + 10] ^= 0x40;
    fs::write(tmp.file(), &bytes).unwrap();
    let (got, r) = read_all(&mut source);
    assert_eq!(got, [0, 1]);
    assert_eq!(r, Read::End);
    assert_eq!((errors.corrupt(), errors.failed()), (1, 0));
    let last = errors.last().unwrap();
    assert!(
        last.contains(&format!("byte {}", ends[2])) && last.contains("checksum"),
        "{last}"
    );
    // Reopened, the log ends before the damaged record.
    let (input, mut source) = log::<u64>(&tmp.0, never()).unwrap();
    assert_eq!(input.len(), ends[2]);
    assert_eq!(input.cut_bytes(), bytes.len() as u64 - ends[2]);
    assert!(!input.is_closed());
    assert_eq!(read_all(&mut source), (vec![0, 1], Read::Idle));
    assert_eq!(source.errors().corrupt(), 0);
}

#[test]
fn a_record_of_another_type_is_corruption_not_a_panic() {
    let tmp = Tmp::new("type");
    let (mut input, _) = log::<String>(&tmp.0, never()).unwrap();
    input.submit(&"abc".to_string()).unwrap();
    input.close().unwrap();
    let (_, mut source) = log::<u64>(&tmp.0, never()).unwrap();
    let (got, r) = read_all(&mut source);
    assert!(got.is_empty());
    assert_eq!(r, Read::End);
    assert_eq!(source.errors().corrupt(), 1);
    assert!(source.errors().last().unwrap().contains("decode"));
}

#[test]
fn group_commit_syncs_once_a_batch() {
    let n = 100u64;
    let records = 8usize;
    let tmp = Tmp::new("batch");
    let batch = SyncPolicy::Batch {
        records,
        interval: Duration::from_secs(3600),
    };
    let (mut input, mut source) = log::<u64>(&tmp.0, WalOptions::new().sync(batch)).unwrap();
    for i in 0..n {
        input.submit(&i).unwrap();
    }
    let bound = n.div_ceil(records as u64) + 1;
    assert!(input.syncs() <= bound, "{} syncs", input.syncs());
    assert_eq!(input.syncs(), n / records as u64);
    // Durable up to the last full batch; visible to the source up to the end.
    assert_eq!(
        input.synced_len(),
        16 * (n / records as u64 * records as u64)
    );
    assert_eq!(read_all(&mut source).0.len(), n as usize);
    input.sync().unwrap();
    assert_eq!(input.synced_len(), input.len());
    input.sync().unwrap(); // nothing new: no fsync
    assert_eq!(input.syncs(), n / records as u64 + 1);

    // The interval: every submit after a zero interval syncs.
    let tmp = Tmp::new("batch-time");
    let batch = SyncPolicy::Batch {
        records: 1000,
        interval: Duration::ZERO,
    };
    let (mut input, _) = log::<u64>(&tmp.0, WalOptions::new().sync(batch)).unwrap();
    for i in 0..10 {
        input.submit(&i).unwrap();
    }
    assert_eq!(input.syncs(), 10);
}

#[test]
fn always_syncs_every_submit_and_submit_all_once() {
    let tmp = Tmp::new("always");
    let (mut input, _) = log::<u64>(&tmp.0, WalOptions::new()).unwrap();
    for i in 0..20 {
        let end = input.submit(&i).unwrap();
        assert_eq!(input.synced_len(), end);
    }
    assert_eq!(input.syncs(), 20);
    let all: Vec<u64> = (0..50).collect();
    input.submit_all(&all).unwrap();
    assert_eq!(input.syncs(), 21);
    assert_eq!(input.synced_len(), input.len());
    input.close().unwrap();
    assert_eq!(input.syncs(), 22);

    let tmp = Tmp::new("never");
    let (mut input, _) = log::<u64>(&tmp.0, never()).unwrap();
    input.submit_all(&all).unwrap();
    input.submit(&1).unwrap();
    assert_eq!((input.syncs(), input.synced_len()), (0, 0));
    input.close().unwrap(); // closing syncs whatever the policy
    assert_eq!((input.syncs(), input.synced_len()), (1, input.len()));
}

#[test]
fn a_closed_log_reopens_closed() {
    let tmp = Tmp::new("closed");
    let (mut input, _) = log::<u64>(&tmp.0, never()).unwrap();
    input.submit(&1).unwrap();
    input.close().unwrap();
    input.close().unwrap();
    assert!(matches!(input.submit(&2), Err(WalError::Closed)));
    assert!(matches!(input.submit_all(&[2]), Err(WalError::Closed)));
    drop(input);
    let (mut input, mut source) = log::<u64>(&tmp.0, never()).unwrap();
    assert!(input.is_closed());
    assert!(matches!(input.submit(&2), Err(WalError::Closed)));
    assert_eq!(read_all(&mut source), (vec![1], Read::End));
}

#[test]
fn seek_checks_partition_and_length() {
    let tmp = Tmp::new("seek");
    let (mut input, _) = log::<u64>(&tmp.0, never()).unwrap();
    let end = input.submit(&1).unwrap();
    drop(input);
    let (_, mut source) = log::<u64>(&tmp.0, never()).unwrap();
    assert!(source.replayable());
    let past = source.seek(&[Position {
        partition: 0,
        offset: end + 1,
    }]);
    assert!(matches!(past, Err(SourceError::Io { .. })), "{past:?}");
    let other = source.seek(&[Position {
        partition: 1,
        offset: 0,
    }]);
    assert!(matches!(
        other,
        Err(SourceError::UnknownPartition {
            partition: 1,
            partitions: 1
        })
    ));
    source
        .seek(&[Position {
            partition: 0,
            offset: end,
        }])
        .unwrap();
    assert_eq!(source.start(), end);
    assert_eq!(read_all(&mut source), (vec![], Read::Idle));
}

#[test]
fn zero_bytes_after_a_power_loss_are_cut() {
    let tmp = Tmp::new("zeros");
    let (mut input, _) = log::<u64>(&tmp.0, never()).unwrap();
    let end = input.submit(&1).unwrap();
    drop(input);
    let mut bytes = fs::read(tmp.file()).unwrap();
    bytes.extend_from_slice(&[0; 4096]);
    fs::write(tmp.file(), &bytes).unwrap();
    let (input, mut source) = log::<u64>(&tmp.0, never()).unwrap();
    assert_eq!((input.len(), input.cut_bytes()), (end, 4096));
    assert_eq!(read_all(&mut source), (vec![1], Read::Idle));
}
