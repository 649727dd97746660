//! Pushed input made durable by a write-ahead log, through `stream!`
//! pipelines: a run reads the log, checkpoints, reads more and is dropped
//! unfinished (a crash) with its input unclosed; the log is reopened, a
//! recovering run on another core count replays it from the checkpoint's
//! position while more is submitted, and the committed output is one
//! uninterrupted run's: every event's result exactly once.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::recovery::{MemSink, Store};
use laminar::wal::{self, SyncPolicy, WalOptions};
use laminar::{Pipeline, Runtime, stream};

const EVENTS: u64 = 6_000;
const KEYS: u64 = 37;

fn event(i: u64) -> (u64, u64) {
    (i * 7 % KEYS, i)
}

fn events(range: std::ops::Range<u64>) -> Vec<(u64, u64)> {
    range.map(event).collect()
}

fn fold() -> impl Pipeline<In = (u64, u64), Out = (u64, (u64, u64))> {
    stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> fold((0u64, 0u64), |(n, sum), e| (n + 1, sum + e.1))
    }
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("laminar-wal-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Waits until the run's sources read `n` events in all.
fn wait_read<P: Pipeline>(rt: &Runtime<P>, n: u64) {
    let start = Instant::now();
    while rt.progress().read < n {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "read {} of {n}",
            rt.progress().read
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Per key: the counts committed (sorted) and the last sum.
fn per_key(results: &[(u64, (u64, u64))]) -> BTreeMap<u64, (Vec<u64>, u64)> {
    let mut m = BTreeMap::<u64, Vec<(u64, u64)>>::new();
    for &(k, r) in results {
        m.entry(k).or_default().push(r);
    }
    m.into_iter()
        .map(|(k, mut rs)| {
            rs.sort_unstable();
            let last = rs.last().map_or(0, |r| r.1);
            (k, (rs.into_iter().map(|r| r.0).collect(), last))
        })
        .collect()
}

/// What every key's results must be: counts 1..=n, each once, and the
/// key's whole sum last.
fn expected() -> BTreeMap<u64, (Vec<u64>, u64)> {
    let mut m = BTreeMap::<u64, (Vec<u64>, u64)>::new();
    for (k, v) in events(0..EVENTS) {
        let e = m.entry(k).or_default();
        e.0.push(e.0.len() as u64 + 1);
        e.1 += v;
    }
    m
}

/// One uninterrupted run over a closed log, on `cores`.
fn uninterrupted(cores: usize) -> Vec<(u64, (u64, u64))> {
    let dir = tmp("uninterrupted");
    let (mut input, source) =
        wal::log::<(u64, u64)>(&dir, WalOptions::new().sync(SyncPolicy::Never)).unwrap();
    input.submit_all(&events(0..EVENTS)).unwrap();
    input.close().unwrap();
    let rt = Runtime::builder().cores(cores).build(fold()).unwrap();
    rt.attach(source);
    let mut out = Vec::new();
    rt.finish_into(&mut out).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn recovering<P: Pipeline>(
    pipeline: P,
    cores: usize,
    dir: &Path,
    store: &Arc<Mutex<Store<P::Out>>>,
) -> Runtime<P>
where
    P::Out: Clone + Send + 'static,
{
    Runtime::builder()
        .cores(cores)
        .checkpoint_dir(dir)
        .recover(true)
        .build_with_sink(pipeline, MemSink::new(store))
        .unwrap()
}

/// The crash-and-recover sequence with the log written under `policy`.
fn across_a_crash(name: &str, policy: SyncPolicy) {
    let dir = tmp(name);
    let (log_dir, checkpoints) = (dir.join("log"), dir.join("checkpoints"));
    let options = WalOptions::new().sync(policy);
    let store = Arc::new(Mutex::new(Store::default()));
    let (k1, k2) = (EVENTS / 3, EVENTS / 2);

    // Run 1, on 2 cores: events before the checkpoint...
    let (mut input, source) = wal::log::<(u64, u64)>(&log_dir, options).unwrap();
    let errors = source.errors();
    for e in events(0..k1 / 2) {
        input.submit(&e).unwrap();
    }
    let mut rt = recovering(fold(), 2, &checkpoints, &store);
    rt.attach(source);
    input.submit_all(&events(k1 / 2..k1)).unwrap();
    wait_read(&rt, k1);
    let epoch = rt.checkpoint().unwrap();
    assert!(epoch >= 1);
    // ... and after it: read, processed, staged in the sink, then lost.
    input.submit_all(&events(k1..k2)).unwrap();
    wait_read(&rt, k2);
    let len = input.len();
    drop(rt);
    drop(input); // not closed: the process died
    assert_eq!((errors.corrupt(), errors.failed()), (0, 0));
    {
        let s = store.lock().unwrap();
        assert!(s.commits >= 1, "the checkpoint committed");
        assert!(s.committed.len() as u64 >= k1 / 2);
    }

    // Run 2, on 3 cores: the log reopens whole, the run replays it from the
    // checkpoint's position while the rest comes in.
    let (mut input, source) = wal::log::<(u64, u64)>(&log_dir, options).unwrap();
    assert_eq!((input.cut_bytes(), input.len()), (0, len));
    let errors = source.errors();
    let rt = recovering(fold(), 3, &checkpoints, &store);
    rt.attach(source);
    for e in events(k2..EVENTS) {
        input.submit(&e).unwrap();
    }
    input.close().unwrap();
    let report = rt.finish().unwrap();
    assert!(report.checkpoints >= 1);
    assert!(
        report.read() < EVENTS,
        "replayed from the checkpoint, not from the start: read {}",
        report.read()
    );
    assert_eq!((errors.corrupt(), errors.failed()), (0, 0));

    let got = {
        let mut s = store.lock().unwrap();
        assert!(s.prepared.is_empty(), "nothing left prepared");
        std::mem::take(&mut s.committed)
    };
    assert_eq!(got.len() as u64, EVENTS, "one result per event");
    let want = expected();
    assert_eq!(per_key(&got), want);
    assert_eq!(per_key(&uninterrupted(2)), want);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn acknowledged_input_is_processed_exactly_once_across_a_crash() {
    common::within(240, "wal across a crash (Always)", || {
        across_a_crash("always", SyncPolicy::Always);
    });
}

#[test]
fn group_committed_input_is_processed_exactly_once_across_a_process_crash() {
    common::within(240, "wal across a crash (Batch)", || {
        across_a_crash(
            "batch",
            SyncPolicy::Batch {
                records: 64,
                interval: Duration::from_millis(5),
            },
        );
    });
}
