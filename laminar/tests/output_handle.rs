//! Output handles: a reader on another thread, slow or gone, and the
//! reading calls. The promises under test: a taken handle applies
//! backpressure and never deadlocks, every event is counted, and a handle
//! dropped unread never stalls the pipeline.

mod common;

use std::thread;
use std::time::Duration;

use common::within;
use laminar::prelude::*;
use laminar::{RecvError, RecvTimeoutError, TryRecvError};

const THREADS: u64 = 4;
const PER_THREAD: u64 = 5_000;

#[test]
fn a_slow_reader_on_another_thread_stalls_submitters_and_loses_nothing() {
    for cores in [1, 2] {
        for capacity in [2, 4, 8] {
            within(120, "slow reader", move || {
                let p = stream! { u64 -> map(|x| x * 2) };
                let mut rt = Runtime::builder()
                    .cores(cores)
                    .queue_capacity(capacity)
                    .outbox_capacity(capacity)
                    .build(p)
                    .expect("runtime");
                let output = rt.output().expect("first take");
                let reader = thread::spawn(move || {
                    let mut got = Vec::new();
                    for x in output {
                        got.push(x);
                        if got.len() % 1_000 == 0 {
                            thread::sleep(Duration::from_millis(1));
                        }
                    }
                    got
                });
                let submitters: Vec<_> = (0..THREADS)
                    .map(|t| {
                        let mut input = rt.input();
                        thread::spawn(move || {
                            let base = t * PER_THREAD;
                            // Half one by one, half in batches.
                            for x in base..base + PER_THREAD / 2 {
                                assert_eq!(input.submit(x).expect("submit"), Admission::Queued);
                            }
                            let n = input
                                .submit_iter(base + PER_THREAD / 2..base + PER_THREAD)
                                .expect("submit_iter");
                            assert_eq!(n.queued as u64, PER_THREAD / 2);
                        })
                    })
                    .collect();
                for s in submitters {
                    s.join().expect("submitter");
                }
                let report = rt.finish().expect("finish");
                let mut got = reader.join().expect("reader");
                got.sort_unstable();
                let want: Vec<u64> = (0..THREADS * PER_THREAD).map(|x| x * 2).collect();
                assert_eq!(got, want, "{cores} cores, capacity {capacity}");
                assert_eq!(report.submitted(), THREADS * PER_THREAD);
                assert_eq!(report.events_out(), THREADS * PER_THREAD);
                assert_eq!(report.outputs_unread(), 0);
            });
        }
    }
}

#[test]
fn a_handle_dropped_unread_never_stalls_and_its_results_are_counted() {
    within(60, "dropped handle", || {
        let p = stream! { u64 -> map(|x| x + 1) };
        let mut rt = Runtime::builder()
            .cores(2)
            .queue_capacity(16)
            .outbox_capacity(16)
            .build(p)
            .expect("runtime");
        let mut output = rt.output().expect("first take");
        let mut input = rt.input();
        input.submit_iter(0..10).expect("submit");
        // Read a few, then walk away.
        let first = output.recv().expect("a result");
        assert!((1..=10).contains(&first));
        drop(output);
        input.submit_iter(10..100_000).expect("submit");
        drop(input);
        let report = rt.finish().expect("finish");
        assert_eq!(report.events_out(), 100_000);
        // Everything but the one read is counted as unread.
        assert_eq!(report.outputs_unread(), 99_999);
    });
}

#[test]
fn each_output_has_one_handle() {
    let p = stream! { u64 -> map(|x| x) };
    let mut rt = Runtime::builder().cores(1).build(p).expect("runtime");
    let out = rt.output().expect("first take");
    assert!(rt.output().is_err(), "a second handle to the same output");
    drop(out);
    assert!(rt.output().is_err(), "a handle after the first was dropped");
    let _late = rt.late_output().expect("the late output is its own");
    assert!(rt.late_output().is_err());
}

#[test]
fn recv_calls_say_empty_timeout_and_ended() {
    within(30, "recv calls", || {
        let p = stream! { u64 -> map(|x| x * 10) };
        let mut rt = Runtime::builder().cores(2).build(p).expect("runtime");
        let mut output = rt.output().expect("first take");
        assert_eq!(output.try_recv(), Err(TryRecvError::Empty));
        assert_eq!(
            output.recv_timeout(Duration::from_millis(20)),
            Err(RecvTimeoutError::Timeout)
        );
        let mut input = rt.input();
        input.submit_iter(1..=3).expect("submit");
        let first = output
            .recv_timeout(Duration::from_secs(10))
            .expect("a result within the timeout");
        let mut rest = Vec::new();
        while rest.len() < 2 {
            output.drain_into(&mut rest);
        }
        let mut all = vec![first];
        all.extend(rest);
        all.sort_unstable();
        assert_eq!(all, [10, 20, 30]);
        drop(input);
        rt.finish().expect("finish");
        assert!(output.is_ended());
        assert_eq!(output.recv(), Err(RecvError));
        assert_eq!(output.try_recv(), Err(TryRecvError::Ended));
    });
}

#[test]
fn late_events_read_through_their_handle() {
    within(30, "late handle", || {
        let p = stream! {
            (u64, u64)
            -> event_time(|e| e.1)
            -> key_by(|e| e.0)
            -> window(tumbling(10ms))
            -> aggregate(count())
        };
        let mut rt = Runtime::builder()
            .cores(2)
            .outbox_capacity(4)
            .build(p)
            .expect("runtime");
        let late = rt.late_output().expect("late handle");
        let reader = thread::spawn(move || late.collect::<Vec<_>>());
        let mut input = rt.input();
        input
            .submit_iter((0..1_000).map(|k| (k, 1_000)))
            .expect("on time");
        input.submit_iter((0..1_000).map(|k| (k, 5))).expect("late");
        drop(input);
        let mut out = Vec::new();
        let report = rt.finish_into(&mut out).expect("finish");
        let mut late = reader.join().expect("reader");
        late.sort_unstable();
        assert_eq!(late, (0..1_000).map(|k| (k, 5)).collect::<Vec<_>>());
        assert_eq!(report.late(), 1_000);
        assert_eq!(out.len(), 1_000);
    });
}
