//! Failures other systems shipped, each tried here against a `stream!`
//! pipeline with a checkpoint directory and a two-phase sink:
//!
//! - a checkpoint reported taken while nothing was persisted (LaminarDB #93);
//! - a recovery that restores no state although the files exist (#288);
//! - a crash between the manifest and the sinks' commits (PR #250; Arroyo's
//!   Kafka sink "restoring from commit phase not yet implemented");
//! - a sink that fails while others already pre-committed (PR #235);
//! - an empty pre-commit acknowledged but never persisted (RisingWave
//!   #26492);
//! - a state type changed between the checkpoint and the recovery;
//! - epoch numbers reused after a failed checkpoint.
//!
//! (A source position taken before the operator snapshot, LaminarDB PR
//! #159, is `recovery.rs`'s records-in-flight test and the kill -9 harness.)

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::recovery::{Gated, MemSink, Store};
use laminar::checkpoint::{CheckpointDir, Restored, types_of};
use laminar::{BuildError, Pipeline, Runtime, RuntimeError, StateError, stream};

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("laminar-failures-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// `(key, value)` counted per key.
fn counts() -> impl Pipeline<In = (u64, u64), Out = (u64, u64)> {
    stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> fold(0u64, |n, _e| n + 1)
    }
}

/// 2 partitions of `n` events each over 10 keys.
fn events(n: u64) -> Vec<Vec<(u64, u64)>> {
    (0..2)
        .map(|p| (0..n).map(|i| ((i + p) % 10, i)).collect())
        .collect()
}

#[test]
fn a_checkpoint_that_returned_is_on_disk_and_restores() {
    let dir = tmp("persisted");
    let store = Arc::new(Mutex::new(Store::default()));
    let mut rt = Runtime::builder()
        .cores(2)
        .checkpoint_dir(&dir)
        .build_with_sink(counts(), MemSink::new(&store))
        .unwrap();
    let gate = Arc::new(AtomicU64::new(500));
    let src = Gated::new(events(1_000), gate);
    rt.attach(src.clone());
    src.wait();
    let epoch = rt.checkpoint().unwrap();
    // Nothing more happens before we look: what `checkpoint` promised is
    // in the directory now.
    let d = CheckpointDir::open(&dir).unwrap();
    let manifest = d.latest().unwrap().expect("a manifest for the checkpoint");
    assert_eq!(manifest.epoch, epoch);
    assert_eq!(manifest.files.len(), 2, "one snapshot per core");
    assert_eq!(manifest.prepared.len(), 2, "one transaction per core");
    assert!(d.is_complete(epoch));
    let files = d.read_snapshots(&manifest).unwrap();
    let r = Restored::from_files(files.iter().map(Vec::as_slice), 0, 1).unwrap();
    let fold = r
        .stage_names()
        .find(|n| n.ends_with("-fold"))
        .expect("a section for the fold")
        .to_owned();
    let section = r
        .stage(&fold, &types_of::<u64, u64>())
        .unwrap()
        .expect("the fold's state is in the checkpoint");
    let mut state: Vec<(u64, u64)> = section.decode(0).collect::<Result<_, _>>().unwrap();
    state.sort_unstable();
    assert_eq!(state, (0..10).map(|k| (k, 100)).collect::<Vec<_>>());
    assert_eq!(r.positions(0).iter().map(|p| p.offset).sum::<u64>(), 1_000);
    drop(rt);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_recovery_restores_the_state_the_files_hold() {
    let dir = tmp("restores");
    let store = Arc::new(Mutex::new(Store::default()));
    {
        let mut rt = Runtime::builder()
            .cores(2)
            .checkpoint_dir(&dir)
            .build_with_sink(counts(), MemSink::new(&store))
            .unwrap();
        let src = Gated::new(events(1_000), Arc::new(AtomicU64::new(500)));
        rt.attach(src.clone());
        src.wait();
        rt.checkpoint().unwrap();
    }
    // A new process: the state must come back, not start from zero.
    let rt = Runtime::builder()
        .cores(1)
        .checkpoint_dir(&dir)
        .recover(true)
        .build_with_sink(counts(), MemSink::new(&store))
        .unwrap();
    rt.attach(Gated::new(
        events(1_000),
        Arc::new(AtomicU64::new(u64::MAX)),
    ));
    rt.finish().unwrap();
    let s = store.lock().unwrap();
    let mut last = std::collections::BTreeMap::new();
    for &(k, n) in &s.committed {
        let e = last.entry(k).or_insert(0);
        *e = (*e).max(n);
    }
    assert_eq!(last.into_values().collect::<Vec<_>>(), vec![200; 10]);
    assert_eq!(s.committed.len(), 2_000, "every event's count once");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_crash_between_manifest_and_commit_commits_at_recovery() {
    let dir = tmp("manifest-commit");
    let store = Arc::new(Mutex::new(Store::default()));
    let sink = MemSink::new(&store);
    let failing = sink.fail_commits.clone();
    let mut rt = Runtime::builder()
        .cores(2)
        .checkpoint_dir(&dir)
        .build_with_sink(counts(), sink)
        .unwrap();
    let src = Gated::new(events(1_000), Arc::new(AtomicU64::new(500)));
    rt.attach(src.clone());
    src.wait();
    // The manifest goes down, then the commit fails: the run stops.
    failing.store(1, Ordering::Release);
    assert!(rt.checkpoint().is_err());
    assert!(matches!(rt.finish(), Err(RuntimeError::Checkpoint { .. })));
    assert!(
        store.lock().unwrap().committed.len() < 1_000,
        "the checkpoint's output is not all visible yet"
    );
    // Recovery commits what the manifest recorded as prepared.
    let rt = Runtime::builder()
        .cores(2)
        .checkpoint_dir(&dir)
        .recover(true)
        .build_with_sink(counts(), MemSink::new(&store))
        .unwrap();
    rt.attach(Gated::new(
        events(1_000),
        Arc::new(AtomicU64::new(u64::MAX)),
    ));
    rt.finish().unwrap();
    let s = store.lock().unwrap();
    assert_eq!(s.committed.len(), 2_000, "each event's result once");
    assert!(s.prepared.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failing_sink_rolls_back_what_the_other_cores_prepared() {
    let dir = tmp("rollback");
    let store = Arc::new(Mutex::new(Store::default()));
    let mut sink = MemSink::new(&store);
    sink.fail_core = Some(1);
    let mut rt = Runtime::builder()
        .cores(2)
        .checkpoint_dir(&dir)
        .build_with_sink(counts(), sink)
        .unwrap();
    let src = Gated::new(events(1_000), Arc::new(AtomicU64::new(500)));
    rt.attach(src.clone());
    src.wait();
    assert!(rt.checkpoint().is_err());
    let err = rt.finish().unwrap_err();
    assert!(
        matches!(err, RuntimeError::Checkpoint { core: 1, .. }),
        "{err}"
    );
    let s = store.lock().unwrap();
    assert!(
        s.committed.is_empty(),
        "nothing of the failed checkpoint is visible"
    );
    assert!(
        s.prepared.is_empty(),
        "core 0's transaction was rolled back"
    );
    assert!(
        CheckpointDir::open(&dir)
            .unwrap()
            .latest()
            .unwrap()
            .is_none(),
        "no manifest for a failed checkpoint"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_pre_commit_is_recorded_and_committed() {
    let dir = tmp("empty");
    let store = Arc::new(Mutex::new(Store::default()));
    let mut rt = Runtime::builder()
        .cores(2)
        .checkpoint_dir(&dir)
        .build_with_sink(counts(), MemSink::new(&store))
        .unwrap();
    let src = Gated::new(events(100), Arc::new(AtomicU64::new(100)));
    rt.attach(src.clone());
    src.wait();
    rt.checkpoint().unwrap();
    let before = store.lock().unwrap().commits;
    // Nothing new: each core's transaction is empty, and still recorded
    // and committed, not left waiting.
    let epoch = rt.checkpoint().unwrap();
    let manifest = CheckpointDir::open(&dir)
        .unwrap()
        .latest()
        .unwrap()
        .unwrap();
    assert_eq!(manifest.epoch, epoch);
    assert_eq!(manifest.prepared.len(), 2);
    assert_eq!(store.lock().unwrap().commits, before + 2);
    assert!(store.lock().unwrap().prepared.is_empty());
    rt.finish().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_state_type_that_changed_is_a_typed_error_at_build() {
    let dir = tmp("types");
    {
        let mut rt = Runtime::builder()
            .cores(1)
            .checkpoint_dir(&dir)
            .build(counts())
            .unwrap();
        rt.attach(Gated::new(events(10), Arc::new(AtomicU64::new(u64::MAX))));
        rt.checkpoint().unwrap();
    }
    // The same stage, now folding into an `i32`.
    let changed = stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> fold(0i32, |n, _e| n + 1)
    };
    let err = Runtime::builder()
        .cores(1)
        .checkpoint_dir(&dir)
        .recover(true)
        .build(changed)
        .unwrap_err();
    assert!(
        matches!(
            err,
            BuildError::State {
                source: StateError::TypeChanged { .. },
                ..
            }
        ),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_checkpoint_never_reuses_its_epoch() {
    let dir = tmp("epochs");
    let store = Arc::new(Mutex::new(Store::default()));
    let mut sink = MemSink::new(&store);
    sink.fail_core = Some(0);
    {
        let mut rt = Runtime::builder()
            .cores(1)
            .checkpoint_dir(&dir)
            .build_with_sink(counts(), sink)
            .unwrap();
        rt.attach(Gated::new(events(10), Arc::new(AtomicU64::new(u64::MAX))));
        assert!(rt.checkpoint().is_err(), "epoch 1 fails at the sink");
    }
    let mut rt = Runtime::builder()
        .cores(1)
        .checkpoint_dir(&dir)
        .recover(true)
        .build_with_sink(counts(), MemSink::new(&store))
        .unwrap();
    assert_eq!(
        rt.checkpoint().unwrap(),
        2,
        "epoch 1 was taken by the failed checkpoint"
    );
    drop(rt);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A count that does not say how to save its accumulator.
#[derive(Clone)]
struct Unsaved;

impl laminar::Aggregate<(u64, u64)> for Unsaved {
    type Acc = u64;
    type Out = u64;
    fn create(&self) -> u64 {
        0
    }
    fn add(&self, acc: &mut u64, _e: &(u64, u64), _ts: laminar::Timestamp) {
        *acc += 1;
    }
    fn merge(&self, into: &mut u64, other: &u64) {
        *into += *other;
    }
    fn finish(&self, acc: &u64) -> u64 {
        *acc
    }
}

#[test]
fn state_a_checkpoint_cannot_keep_stops_the_run_with_a_typed_error() {
    let dir = tmp("unsaved");
    let p = stream! {
        (u64, u64)
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(tumbling(10ms))
        -> aggregate(Unsaved)
    };
    let mut rt = Runtime::builder()
        .cores(2)
        .checkpoint_dir(&dir)
        .build(p)
        .unwrap();
    let src = Gated::new(events(100), Arc::new(AtomicU64::new(100)));
    rt.attach(src.clone());
    src.wait();
    assert!(
        rt.checkpoint().is_err(),
        "no checkpoint that would restore the windows empty"
    );
    let err = rt.finish().unwrap_err();
    assert!(
        matches!(
            err,
            RuntimeError::State {
                source: StateError::NotCheckpointable { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(
        CheckpointDir::open(&dir)
            .unwrap()
            .latest()
            .unwrap()
            .is_none()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
