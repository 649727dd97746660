//! A runtime that cannot be built says why, as a typed `BuildError`: zero
//! cores or more than `MAX_CORES`, a queue too small to carry credits, an
//! outbox or batch of zero, and queues or outboxes larger than
//! `MAX_RING_CAPACITY`. Settings that run but cost speed (more workers than
//! CPUs, two workers pinned to one CPU) are named in the warnings.

mod common;

use common::SlowPipeline;
use laminar_runtime::{BuildError, MAX_CORES, MAX_RING_CAPACITY, Runtime, RuntimeBuilder, Warning};

fn pipeline() -> SlowPipeline {
    SlowPipeline { spins: 0 }
}

#[test]
fn zero_cores() {
    let err = Runtime::builder().cores(0).build(pipeline()).err();
    assert!(matches!(err, Some(BuildError::ZeroCores)), "{err:?}");
}

#[test]
fn queue_too_small() {
    let err = Runtime::builder().queue_capacity(1).build(pipeline()).err();
    assert!(matches!(err, Some(BuildError::QueueTooSmall(1))), "{err:?}");
}

#[test]
fn queue_and_outbox_too_large() {
    type Setting = fn(RuntimeBuilder, usize) -> RuntimeBuilder;
    let settings: [(&str, Setting); 2] = [
        ("queue", |b, n| b.queue_capacity(n)),
        ("outbox", |b, n| b.outbox_capacity(n)),
    ];
    for (name, set) in settings {
        for huge in [MAX_RING_CAPACITY + 1, usize::MAX] {
            let err = set(Runtime::builder().cores(1), huge)
                .build(pipeline())
                .err();
            assert!(
                matches!(err, Some(BuildError::RingTooLarge { what, capacity, .. })
                    if what == name && capacity == huge),
                "{name}: {err:?}"
            );
            let message = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains("at most 67108864 slots"), "{message}");
        }
    }
}

#[test]
fn the_smallest_queue_builds_and_runs() {
    let rt = Runtime::builder()
        .cores(1)
        .queue_capacity(2)
        .build(pipeline())
        .expect("2 slots carry the credits");
    let report = rt.finish().expect("an empty run finishes");
    assert_eq!(report.events_in(), 0);
}

#[test]
fn too_many_cores() {
    // `usize::MAX` panicked in `build` ("capacity overflow").
    for cores in [MAX_CORES + 1, usize::MAX] {
        let err = Runtime::builder().cores(cores).build(pipeline()).err();
        assert!(
            matches!(err, Some(BuildError::TooManyCores { cores: c, max: MAX_CORES }) if c == cores),
            "{err:?}"
        );
    }
}

#[test]
fn zero_outbox_and_zero_batch_are_errors_not_clamps() {
    let err = Runtime::builder()
        .outbox_capacity(0)
        .build(pipeline())
        .err();
    assert!(matches!(err, Some(BuildError::ZeroOutbox)), "{err:?}");
    let err = Runtime::builder().batch_size(0).build(pipeline()).err();
    assert!(matches!(err, Some(BuildError::ZeroBatch)), "{err:?}");
}

#[test]
fn more_cores_than_cpus_is_a_warning_in_the_runtime_and_the_report() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cores = cpus + 2;
    let rt = Runtime::builder()
        .cores(cores)
        .pin_cores(true)
        .build(pipeline())
        .expect("more cores than CPUs still run");
    let want = Warning::MoreCoresThanCpus { cores, cpus };
    assert!(rt.warnings().contains(&want), "{:?}", rt.warnings());
    // Pinning had to put two workers on one CPU (where the OS gives a CPU
    // list at all).
    if core_affinity_available() {
        assert!(
            rt.warnings()
                .iter()
                .any(|w| matches!(w, Warning::CpusShared { cores: c, .. } if *c == cores)),
            "{:?}",
            rt.warnings()
        );
    }
    let report = rt.finish().expect("finish");
    assert!(report.warnings.contains(&want));
    assert!(report.to_string().contains("warning:"), "{report}");
}

#[test]
fn cores_within_the_cpus_give_no_warning() {
    let rt = Runtime::builder()
        .cores(1)
        .build(pipeline())
        .expect("runtime");
    assert!(rt.warnings().is_empty(), "{:?}", rt.warnings());
}

fn core_affinity_available() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| s.contains("Cpus_allowed_list"))
        .unwrap_or(false)
}
