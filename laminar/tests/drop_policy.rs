//! Under `Policy::Drop` a submit that discards its event says so, and the
//! counts add up exactly with four threads submitting at once:
//! processed + dropped == submitted. (Before: `submit` returned `Ok(())`
//! and `submit_iter` the whole batch length for events it had dropped.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use laminar::prelude::*;

const THREADS: u64 = 4;
const PER_THREAD: u64 = 50_000;

#[test]
fn dropped_events_are_reported_to_the_caller_and_counted() {
    // A slow stage and small queues, so that the cores fall behind.
    let p = stream! {
        u64
        -> map(|x| { for _ in 0..200 { std::hint::black_box(x); } x })
    };
    let rt = Runtime::builder()
        .cores(2)
        .queue_capacity(16)
        .backpressure(Policy::Drop)
        .build(p)
        .expect("runtime");
    let queued = Arc::new(AtomicU64::new(0));
    let dropped = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let mut input = rt.input();
            let (queued, dropped) = (queued.clone(), dropped.clone());
            std::thread::spawn(move || {
                let base = t * PER_THREAD;
                let half = base + PER_THREAD / 2;
                for x in base..half {
                    match input.submit(x).expect("Drop never refuses") {
                        Admission::Queued => queued.fetch_add(1, Ordering::Relaxed),
                        Admission::Dropped { core } => {
                            assert!(core < 2);
                            dropped.fetch_add(1, Ordering::Relaxed)
                        }
                    };
                }
                let n = input
                    .submit_iter(half..base + PER_THREAD)
                    .expect("submit_iter");
                assert_eq!(n.total() as u64, PER_THREAD / 2);
                queued.fetch_add(n.queued as u64, Ordering::Relaxed);
                dropped.fetch_add(n.dropped as u64, Ordering::Relaxed);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("submitter");
    }
    let mut out = Vec::new();
    let report = rt.finish_into(&mut out).expect("finish");
    let (queued, dropped) = (
        queued.load(Ordering::Relaxed),
        dropped.load(Ordering::Relaxed),
    );
    assert_eq!(queued + dropped, THREADS * PER_THREAD);
    assert!(dropped > 0, "the test needs the cores to fall behind");
    assert_eq!(report.events_in(), queued);
    assert_eq!(report.dropped(), dropped);
    assert_eq!(report.events_in() + report.dropped(), THREADS * PER_THREAD);
    assert_eq!(out.len() as u64, queued);
}
