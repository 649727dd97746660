//! Checkpoints and recovery through `stream!` pipelines: a run is dropped
//! unfinished after a checkpoint (as a crash would leave it: what it wrote
//! after the checkpoint was staged, never committed), the next one
//! recovers on another core count, and the committed output of the whole
//! sequence is what one uninterrupted run gives.

mod common;

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::recovery::{Gated, MemSink, Store};
use laminar::{Pipeline, Runtime, Windowed, stream};

const PARTITIONS: usize = 4;
const PER_PARTITION: u64 = 5_000;

/// Per partition, events `(key, time)`: key `(7i + p) % 37`, one event per
/// millisecond per partition.
fn events() -> Vec<Vec<(u64, u64)>> {
    (0..PARTITIONS as u64)
        .map(|p| (0..PER_PARTITION).map(|i| ((i * 7 + p) % 37, i)).collect())
        .collect()
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("laminar-recovery-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// One uninterrupted run's output, on `cores`.
fn uninterrupted<P>(pipeline: P, cores: usize) -> Vec<P::Out>
where
    P: Pipeline<In = (u64, u64)>,
    P::Out: Ord,
{
    let rt = Runtime::builder().cores(cores).build(pipeline).unwrap();
    rt.attach(Gated::new(events(), Arc::new(AtomicU64::new(u64::MAX))));
    let mut out = Vec::new();
    rt.finish_into(&mut out).unwrap();
    out.sort_unstable();
    out
}

/// A run of `pipeline` on `cores` that recovers from `dir` and commits to
/// `store`, with a checkpoint every `every` if given.
fn recovering<P>(
    pipeline: P,
    cores: usize,
    dir: &std::path::Path,
    store: &Arc<Mutex<Store<P::Out>>>,
    every: Option<std::time::Duration>,
) -> Runtime<P>
where
    P: Pipeline<In = (u64, u64)>,
    P::Out: Clone + Send + 'static,
{
    let mut b = Runtime::builder()
        .cores(cores)
        .checkpoint_dir(dir)
        .recover(true);
    if let Some(every) = every {
        b = b.checkpoint_every(every);
    }
    b.build_with_sink(pipeline, MemSink::new(store)).unwrap()
}

/// The committed results, sorted, and the directory removed.
fn committed<T: Ord>(store: &Arc<Mutex<Store<T>>>, dir: &std::path::Path) -> Vec<T> {
    let mut s = store.lock().unwrap();
    assert!(s.prepared.is_empty(), "nothing left prepared");
    let mut committed = std::mem::take(&mut s.committed);
    committed.sort_unstable();
    let _ = std::fs::remove_dir_all(dir);
    committed
}

/// Runs `pipeline` on 2, 1, 4 and 2 cores, each run recovering from the
/// last one's checkpoint: it reads to its gate, checkpoints, reads some
/// more and is dropped unfinished. A last run on 2 cores reads to the end
/// and finishes. Returns everything committed, sorted.
fn across_crashes<P>(name: &str, pipeline: impl Fn() -> P) -> Vec<P::Out>
where
    P: Pipeline<In = (u64, u64)>,
    P::Out: Ord + Clone + Send + 'static,
{
    let dir = tmp(name);
    let store = Arc::new(Mutex::new(Store::default()));
    let mut last_epoch = 0;
    for (run, cores) in [2usize, 1, 4, 2].into_iter().enumerate() {
        let gate = Arc::new(AtomicU64::new(PER_PARTITION * (run as u64 + 1) / 5));
        let mut rt = recovering(pipeline(), cores, &dir, &store, None);
        let source = Gated::new(events(), gate.clone());
        rt.attach(source.clone());
        source.wait();
        let epoch = rt.checkpoint().unwrap();
        assert!(
            epoch > last_epoch,
            "epochs grow across runs: {epoch} after {last_epoch}"
        );
        last_epoch = epoch;
        // Past the checkpoint: written, prepared at most, then lost.
        gate.fetch_add(300, Ordering::Relaxed);
        source.wait();
        drop(rt);
    }
    let rt = recovering(pipeline(), 2, &dir, &store, None);
    rt.attach(Gated::new(events(), Arc::new(AtomicU64::new(u64::MAX))));
    let report = rt.finish().unwrap();
    assert!(
        report.checkpoints >= 1,
        "finish takes the run's last checkpoint"
    );
    committed(&store, &dir)
}

/// Equal, or a short account of the first difference (the outputs are too
/// long to print).
fn same<T: PartialEq + Debug>(got: &[T], want: &[T]) {
    if got == want {
        return;
    }
    let at = got.iter().zip(want).position(|(g, w)| g != w);
    panic!(
        "{} results, {} expected; first difference at {at:?}: {:?} vs {:?}",
        got.len(),
        want.len(),
        at.map(|i| &got[i]),
        at.map(|i| &want[i])
    );
}

#[test]
fn keyed_state_survives_crashes_and_rescaling_2_1_4_2() {
    common::within(240, "fold across crashes", || {
        let fold = || {
            stream! {
                (u64, u64)
                -> key_by(|e| e.0)
                -> fold((0u64, 0u64), |(n, sum), e| (n + 1, sum + e.1))
            }
        };
        let got = across_crashes("fold", fold);
        // The events of a key meet in another order on each core count,
        // so the running sums differ from one run to another; exactly once
        // shows per key as counts 1, 2, ..., n each committed once, and the
        // last carrying the key's whole sum.
        let want = uninterrupted(fold(), 2);
        let per_key = |v: &[(u64, (u64, u64))]| {
            let mut m = std::collections::BTreeMap::<u64, Vec<(u64, u64)>>::new();
            for &(k, r) in v {
                m.entry(k).or_default().push(r);
            }
            m.into_iter()
                .map(|(k, mut rs)| {
                    rs.sort_unstable();
                    let counts: Vec<u64> = rs.iter().map(|r| r.0).collect();
                    (k, counts, rs.last().map(|r| r.1))
                })
                .collect::<Vec<_>>()
        };
        let (got, want) = (per_key(&got), per_key(&want));
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(
                g.1,
                (1..=w.1.len() as u64).collect::<Vec<_>>(),
                "key {}: counts",
                w.0
            );
        }
        assert_eq!(got, want);
    });
}

#[test]
fn open_tumbling_windows_survive_crashes_and_rescaling() {
    common::within(240, "tumbling windows across crashes", || {
        let windows = || {
            stream! {
                (u64, u64)
                -> event_time(|e| e.1, lateness = 1s)
                -> key_by(|e| e.0)
                -> window(tumbling(100ms))
                -> aggregate(count(), sum(|e| e.1))
            }
        };
        let want: Vec<Windowed<u64, (u64, u64)>> = uninterrupted(windows(), 2);
        assert_eq!(
            want.iter().map(|w| w.value.0).sum::<u64>(),
            PER_PARTITION * PARTITIONS as u64
        );
        same(&across_crashes("tumbling", windows), &want);
    });
}

#[test]
fn sliding_windows_that_fired_before_the_checkpoint_do_not_fire_again() {
    common::within(240, "sliding windows across crashes", || {
        let windows = || {
            stream! {
                (u64, u64)
                -> event_time(|e| e.1, lateness = 1s)
                -> key_by(|e| e.0)
                -> window(sliding(300ms, 100ms))
                -> aggregate(count(), max(|e| e.1))
            }
        };
        same(
            &across_crashes("sliding", windows),
            &uninterrupted(windows(), 2),
        );
    });
}

#[test]
fn open_sessions_survive_crashes_and_rescaling() {
    common::within(240, "sessions across crashes", || {
        let sessions = || {
            stream! {
                (u64, u64)
                -> event_time(|e| e.1, lateness = 1s)
                -> key_by(|e| e.0)
                -> window(session(5ms))
                -> aggregate(count(), min(|e| e.1), max(|e| e.1))
            }
        };
        let want = uninterrupted(sessions(), 2);
        assert!(want.len() > 1_000, "{} sessions", want.len());
        same(&across_crashes("sessions", sessions), &want);
    });
}

#[test]
fn a_two_phase_window_all_survives_crashes_and_rescaling() {
    common::within(240, "window_all across crashes", || {
        let windows = || {
            stream! {
                (u64, u64)
                -> event_time(|e| e.1, lateness = 1s)
                -> window_all(tumbling(100ms))
                -> aggregate(count(), max(|e| e.1))
            }
        };
        same(
            &across_crashes("window_all", windows),
            &uninterrupted(windows(), 2),
        );
    });
}

/// Runs `pipeline` while its sources flow, a checkpoint every 10 ms, and
/// drops it mid-flight `crashes` times (on 3, 1, 2 cores in turn) before a
/// last run finishes: what is in flight at a barrier (in a source's
/// exchange, on a ring) must land on exactly one side of it.
fn across_crashes_in_flight<P>(name: &str, crashes: u32, pipeline: impl Fn() -> P) -> Vec<P::Out>
where
    P: Pipeline<In = (u64, u64)>,
    P::Out: Ord + Clone + Send + 'static,
{
    let dir = tmp(name);
    let store = Arc::new(Mutex::new(Store::default()));
    let every = Some(std::time::Duration::from_millis(10));
    for run in 0..=crashes {
        let cores = [3usize, 1, 2][run as usize % 3];
        let rt = recovering(pipeline(), cores, &dir, &store, every);
        rt.attach(Gated::new(events(), Arc::new(AtomicU64::new(u64::MAX))));
        if run == crashes {
            rt.finish().unwrap();
        } else {
            std::thread::sleep(std::time::Duration::from_millis(15 + 7 * run as u64));
            drop(rt);
        }
    }
    committed(&store, &dir)
}

#[test]
fn records_in_flight_at_a_barrier_count_once() {
    common::within(240, "in-flight barriers", || {
        let windows = || {
            stream! {
                (u64, u64)
                -> event_time(|e| e.1, lateness = 1s)
                -> key_by(|e| e.0)
                -> window(tumbling(100ms))
                -> aggregate(count(), sum(|e| e.1))
            }
        };
        let want = uninterrupted(windows(), 2);
        for round in 0..3 {
            let got = across_crashes_in_flight(&format!("flight{round}"), 6, windows);
            same(&got, &want);
        }
    });
}

#[test]
fn finishing_while_the_checkpoint_thread_runs_never_hangs() {
    // A checkpoint asked for as the chains end: a core whose chain has
    // ended still answers it, or the thread and `finish` wait on each other.
    common::within(120, "finish with checkpoints every millisecond", || {
        for round in 0..150 {
            let dir = tmp(&format!("finish{round}"));
            let store = Arc::new(Mutex::new(Store::default()));
            let fold = stream! {
                (u64, u64)
                -> key_by(|e| e.0)
                -> fold(0u64, |n, _e| n + 1)
            };
            let cores = 1 + round % 3;
            let rt = recovering(
                fold,
                cores,
                &dir,
                &store,
                Some(std::time::Duration::from_millis(1)),
            );
            let events: Vec<Vec<(u64, u64)>> = (0..2)
                .map(|p| (0..200).map(|i| (i % 7, p)).collect())
                .collect();
            rt.attach(Gated::new(events, Arc::new(AtomicU64::new(u64::MAX))));
            rt.finish().unwrap();
            assert_eq!(committed(&store, &dir).len(), 400, "round {round}");
        }
    });
}

#[test]
fn checkpoints_go_on_while_finish_waits_for_the_sources() {
    // `finish` waits for the sources; the checkpoint thread must keep
    // taking checkpoints meanwhile, not stop at once and leave the run
    // with its last checkpoint only.
    let dir = tmp("finish-ticks");
    let fold = stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> fold(0u64, |n, _e| n + 1)
    };
    let rt = Runtime::builder()
        .cores(2)
        .checkpoint_dir(&dir)
        .checkpoint_every(std::time::Duration::from_millis(5))
        .build(fold)
        .unwrap();
    // The source lets through 20 events a millisecond, for about 250 ms.
    let gate = Arc::new(AtomicU64::new(0));
    rt.attach(Gated::new(events(), gate.clone()));
    let opener = std::thread::spawn(move || {
        while gate.load(Ordering::Relaxed) < PER_PARTITION {
            std::thread::sleep(std::time::Duration::from_millis(1));
            gate.fetch_add(20, Ordering::Relaxed);
        }
    });
    let report = rt.finish().unwrap();
    opener.join().unwrap();
    assert!(
        report.checkpoints >= 5,
        "{} checkpoints in a run of at least 250 ms, one every 5 ms",
        report.checkpoints
    );
    let _ = std::fs::remove_dir_all(&dir);
}
