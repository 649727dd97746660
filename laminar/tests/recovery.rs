//! Checkpoints and recovery through `stream!` pipelines: a run is dropped
//! unfinished after a checkpoint (as a crash would leave it), the next one
//! recovers on another core count, and the committed output of the whole
//! sequence equals one uninterrupted run's, record for record.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::recovery::{Gated, MemSink, Store};
use laminar::{Runtime, stream};

const PARTITIONS: usize = 4;
const PER_PARTITION: u64 = 5_000;

/// Per partition, events `(key, seq)`: key `i % 37`, with a sequence
/// number per partition.
fn events() -> Vec<Vec<(u64, u64)>> {
    (0..PARTITIONS as u64)
        .map(|p| (0..PER_PARTITION).map(|i| ((i * 7 + p) % 37, p * PER_PARTITION + i)).collect())
        .collect()
}

/// Count and sum per key, emitted after every event: each event's output
/// depends on every earlier event of its key, so a lost or replayed
/// state shows.
fn pipeline() -> impl laminar::Pipeline<In = (u64, u64), Out = (u64, (u64, u64))> {
    stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> fold((0u64, 0u64), |(n, sum), e| (n + 1, sum + e.1))
    }
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("laminar-recovery-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Waits until the run has read `n` events.
fn read_until(rt: &Runtime<impl laminar::Pipeline>, n: u64) {
    let start = std::time::Instant::now();
    while rt.progress().read < n {
        assert!(start.elapsed() < Duration::from_secs(60), "stuck at {:?}", rt.progress());
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Exactly once, whatever order the events of a key met in: per key, the
/// counts committed are 1, 2, ..., n, each once (a lost event leaves a
/// gap, a replayed one a repeat), and the result at count n carries the
/// key's whole sum (a state restored wrong shows there).
fn same(got: &[(u64, (u64, u64))], want: &[(u64, (u64, u64))]) {
    use std::collections::BTreeMap;
    let per_key = |v: &[(u64, (u64, u64))]| {
        let mut m: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
        for &(k, r) in v {
            m.entry(k).or_default().push(r);
        }
        for rs in m.values_mut() {
            rs.sort_unstable();
        }
        m
    };
    let (got, want) = (per_key(got), per_key(want));
    assert_eq!(got.len(), want.len(), "keys");
    for (k, w) in &want {
        let g = &got[k];
        let counts: Vec<u64> = g.iter().map(|r| r.0).collect();
        let expected: Vec<u64> = (1..=w.len() as u64).collect();
        assert!(counts == expected, "key {k}: counts {} committed, {} expected, not 1..=n", counts.len(), w.len());
        assert_eq!(g.last().map(|r| r.1), w.last().map(|r| r.1), "key {k}: final sum");
    }
}

fn sorted(mut v: Vec<(u64, (u64, u64))>) -> Vec<(u64, (u64, u64))> {
    v.sort_unstable();
    v
}

/// One uninterrupted run's output.
fn uninterrupted() -> Vec<(u64, (u64, u64))> {
    let rt = Runtime::builder().cores(2).build(pipeline()).unwrap();
    let gate = Arc::new(AtomicU64::new(u64::MAX));
    rt.attach(Gated::new(events(), gate));
    let mut out = Vec::new();
    rt.finish_into(&mut out).unwrap();
    sorted(out)
}

#[test]
fn a_run_rescaled_2_1_4_2_across_crashes_commits_what_one_run_does() {
    common::within(240, "rescaled recovery", || {
        let dir = tmp("rescale");
        let store = Arc::new(Mutex::new(Store::default()));
        // Each run reads up to its gate, checkpoints, reads some more
        // (output staged, never committed), and is dropped unfinished.
        for (run, cores) in [2usize, 1, 4, 2].into_iter().enumerate() {
            let gate = Arc::new(AtomicU64::new(PER_PARTITION * (run as u64 + 1) / 5));
            let mut rt = Runtime::builder()
                .cores(cores)
                .checkpoint_dir(&dir)
                .recover(true)
                .build_with_sink(
                    pipeline(),
                    MemSink {
                        store: store.clone(),
                        fail_core: None,
                    },
                )
                .unwrap();
            rt.attach(Gated::new(events(), gate.clone()));
            let target = gate.load(Ordering::Relaxed) * PARTITIONS as u64;
            // What a recovering run reads again starts from the checkpoint.
            let before = store.lock().unwrap().committed.len() as u64;
            read_until(&rt, target - before);
            let epoch = rt.checkpoint().unwrap();
            assert!(epoch > run as u64, "epochs grow across runs: {epoch}");
            assert_eq!(
                store.lock().unwrap().committed.len() as u64,
                target,
                "run {run}: every event's result committed once at its checkpoint"
            );
            // Past the checkpoint: staged and prepared, then lost in the "crash".
            gate.fetch_add(100, Ordering::Relaxed);
            read_until(&rt, target - before + 100 * PARTITIONS as u64);
            drop(rt);
        }
        // The last run reads to the end and finishes.
        let rt = Runtime::builder()
            .cores(2)
            .checkpoint_dir(&dir)
            .recover(true)
            .build_with_sink(
                pipeline(),
                MemSink {
                    store: store.clone(),
                    fail_core: None,
                },
            )
            .unwrap();
        rt.attach(Gated::new(events(), Arc::new(AtomicU64::new(u64::MAX))));
        let report = rt.finish().unwrap();
        assert!(report.checkpoints >= 1, "finish takes the run's last checkpoint");
        let committed = sorted(std::mem::take(&mut store.lock().unwrap().committed));
        assert_eq!(committed.len() as u64, PER_PARTITION * PARTITIONS as u64);
        same(&committed, &uninterrupted());
        assert!(store.lock().unwrap().prepared.is_empty(), "nothing left prepared");
        let _ = std::fs::remove_dir_all(&dir);
    });
}
