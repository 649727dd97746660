//! A runtime that cannot be built says why, as a typed `BuildError`: zero
//! cores, a queue too small to carry credits, and
//! queues or outboxes larger than `MAX_RING_CAPACITY`.

mod common;

use common::SlowPipeline;
use laminar_runtime::{BuildError, MAX_RING_CAPACITY, Runtime, RuntimeBuilder};

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
