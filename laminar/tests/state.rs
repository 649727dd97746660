//! Keyed state end to end: `reduce`, `fold` and `process` pipelines on 2
//! cores give the same results whether the runtime keeps state in memory or
//! in memory-mapped files, and the files carry state over to the next run;
//! `process` timers step by step in the test harness.

use std::path::PathBuf;

use laminar::prelude::*;
use laminar::testing::Harness;

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "laminar-state-{tag}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// (key, value) events.
fn events(n: u64) -> Vec<(u64, u64)> {
    let mut x = 0x1234_5678_9abc_def1u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 97, x % 1000)
        })
        .collect()
}

fn run<P: Pipeline<In = (u64, u64)>>(
    p: P,
    state: Option<&TempDir>,
    input: &[(u64, u64)],
) -> Vec<P::Out>
where
    P::Out: Ord,
{
    let mut builder = Runtime::builder().cores(2);
    if let Some(dir) = state {
        builder = builder.state_dir(&dir.0);
    }
    let rt = builder.build(p).expect("runtime");
    rt.input()
        .submit_iter(input.iter().copied())
        .expect("submit");
    let mut out = Vec::new();
    rt.finish_into(&mut out).expect("finish");
    out.sort();
    out
}

fn fold_pipeline() -> impl Pipeline<In = (u64, u64), Out = (u64, (u64, u64))> {
    stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> fold((0u64, 0u64), |(n, sum), e| (n + 1, sum + e.1))
    }
}

#[test]
fn fold_gives_the_same_results_in_memory_and_on_disk() {
    let input = events(20_000);
    let in_memory = run(fold_pipeline(), None, &input);
    let dir = TempDir::new("fold");
    let on_disk = run(fold_pipeline(), Some(&dir), &input);
    assert_eq!(in_memory.len(), 20_000, "one result per event");
    assert_eq!(in_memory, on_disk);
    // The last value per key is the plain count and sum.
    let mut expected = std::collections::BTreeMap::new();
    for (k, v) in &input {
        let e = expected.entry(*k).or_insert((0, 0));
        e.0 += 1;
        e.1 += v;
    }
    for (k, (n, sum)) in expected {
        assert!(in_memory.contains(&(k, (n, sum))), "final state of key {k}");
    }
}

#[test]
fn reduce_and_process_agree_across_stores() {
    let input = events(10_000);
    let reduce = || {
        stream! {
            (u64, u64)
            -> key_by(|e| e.0)
            -> reduce(|a, b| if b.1 > a.1 { b } else { a })
            -> map(|(k, e)| (k, e.1))
        }
    };
    let dir = TempDir::new("reduce");
    assert_eq!(
        run(reduce(), None, &input),
        run(reduce(), Some(&dir), &input)
    );

    // Emits each key's running count every 10th event, and clears it.
    let process = || {
        stream! {
            (u64, u64)
            -> key_by(|e| e.0)
            -> process(|key, _e, state, out| {
                let n = state.unwrap_or(0u32) + 1;
                if n == 10 {
                    out.emit((*key, n));
                    *state = None;
                } else {
                    *state = Some(n);
                }
            })
        }
    };
    let dir = TempDir::new("process");
    let mem = run(process(), None, &input);
    assert_eq!(mem, run(process(), Some(&dir), &input));
    let mut per_key = std::collections::BTreeMap::<u64, u32>::new();
    for (k, _) in &input {
        *per_key.entry(*k).or_default() += 1;
    }
    let expected: usize = per_key.values().map(|n| (n / 10) as usize).sum();
    assert_eq!(mem.len(), expected);
}

#[test]
fn state_on_disk_survives_to_the_next_run() {
    let dir = TempDir::new("survive");
    let first = run(fold_pipeline(), Some(&dir), &[(1, 10), (2, 20), (1, 5)]);
    assert!(first.contains(&(1, (2, 15))));
    // Same directory, a new runtime: key 1 goes on from (2, 15).
    let second = run(fold_pipeline(), Some(&dir), &[(1, 1), (3, 3)]);
    assert_eq!(second, [(1, (3, 16)), (3, (1, 3))]);
}

#[test]
fn process_timers_fire_on_the_watermark() {
    // Sums values per key and reports each sum 10 ms (event time) after the
    // key's first event.
    let p = stream! {
        (u64, u64)
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> process(
            |_key, e, state, out| {
                if state.is_none() {
                    out.set_timer(e.1 + 10);
                }
                *state = Some(state.unwrap_or(0u64) + e.1);
            },
            on_timer = |key, at, state, out| {
                out.emit((*key, at, state.take().unwrap_or(0)));
            }
        )
    };
    let mut h = Harness::new(p).expect("harness");
    h.push_all([(1, 1), (2, 2), (1, 5)]);
    // Timers at 11 and 12: none is due at 10.
    h.advance_watermark(10);
    assert!(h.take_output().is_empty());
    h.advance_watermark(11);
    assert_eq!(h.take_output(), [(1, 11, 6)]);
    h.advance_watermark(20);
    assert_eq!(h.take_output(), [(2, 12, 2)]);
    // Each key's state was taken: its next event sets a new timer.
    h.push_all([(1, 30), (2, 40)]);
    // Timers at 40 and 50; the watermark an input would send is 40.
    assert_eq!(h.emit_watermark(), Some(40));
    assert_eq!(h.take_output(), [(1, 40, 30)]);
    h.end_input();
    assert_eq!(h.take_output(), [(2, 50, 40)]);
}

#[test]
fn a_process_stage_reads_the_wall_clock_in_the_runtime() {
    let p = stream! {
        u64
        -> processing_time()
        -> key_by(|e| *e)
        -> process(|_key, _e, _state: &mut Option<u8>, out| out.emit(out.processing_time()))
    };
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis() as u64
    };
    let before = now();
    let rt = Runtime::builder().cores(2).build(p).expect("runtime");
    rt.input().submit_iter([1, 2]).expect("submit");
    let mut out = Vec::new();
    rt.finish_into(&mut out).expect("finish");
    let after = now();
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|t| (before..=after).contains(t)), "{out:?}");
}
