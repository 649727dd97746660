//! With the `tokio` feature (`cargo test -p laminar --features tokio`):
//! output handles are streams, and `submit_async` waits for credit as a
//! task, honouring the policy. Most tests run on Tokio's current-thread
//! runtime, where a submit that blocked its thread would also stop the
//! task that reads the results, and so hang: the watchdog turns that into
//! a failure.

#![cfg(feature = "tokio")]

mod common;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;
use laminar::prelude::*;
use laminar::{RuntimeError, Timestamp};

/// Runs `f` to completion on a current-thread Tokio runtime, failing the
/// test if it takes more than `secs`.
fn block_on<F>(secs: u64, what: &str, f: impl FnOnce() -> F + Send + 'static) -> F::Output
where
    F: Future + 'static,
    F::Output: Send + 'static,
{
    common::within(secs, what, move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("tokio runtime")
            .block_on(f())
    })
}

/// The next item of a stream.
async fn next<S: Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await
}

/// Everything a stream yields, to its end.
async fn collect<S: Stream + Unpin>(mut s: S) -> Vec<S::Item> {
    let mut all = Vec::new();
    while let Some(x) = next(&mut s).await {
        all.push(x);
    }
    all
}

/// `finish`, off the async thread: it joins the workers.
async fn finish<P: Pipeline>(rt: Runtime<P>) -> Result<Report, RuntimeError> {
    tokio::task::spawn_blocking(move || rt.finish())
        .await
        .expect("finish")
}

#[test]
fn a_task_submits_and_a_task_reads_through_tiny_queues_on_one_thread() {
    const N: u64 = 50_000;
    let (got, report) = block_on(60, "submit_all_async with a stream reader", || async {
        let p = stream! { u64 -> key_by(|x| *x) -> map(|x| x * 2) };
        let mut rt = Runtime::builder()
            .cores(2)
            .queue_capacity(4)
            .outbox_capacity(4)
            .build(p)
            .expect("runtime");
        let output = rt.output().expect("output");
        let reader = tokio::spawn(collect(output));
        let mut input = rt.input();
        let admitted = input.submit_all_async(0..N).await.expect("submit");
        assert_eq!(admitted.queued, N as usize);
        drop(input);
        let report = finish(rt).await.expect("finish");
        (reader.await.expect("reader"), report)
    });
    assert_eq!(got.len() as u64, N);
    assert_eq!(got.iter().sum::<u64>(), N * (N - 1));
    assert_eq!(report.events_in(), N);
    assert_eq!(report.outputs_unread(), 0);
    // The queues were far too small: submits waited, as tasks.
    assert!(report.cores.iter().any(|c| c.blocked > 0), "{report:?}");
}

#[test]
fn results_and_late_events_are_both_streams() {
    type Ev = (u64, Timestamp);
    let (rows, late, report) = block_on(30, "two streams", || async {
        let p = stream! {
            Ev
            -> event_time(|e| e.1)
            -> key_by(|e| e.0)
            -> window(tumbling(10ms))
            -> aggregate(count())
        };
        let mut rt = Runtime::builder().cores(2).build(p).expect("runtime");
        let results = tokio::spawn(collect(rt.output().expect("output")));
        let late = tokio::spawn(collect(rt.late_output().expect("late output")));
        let mut input = rt.input();
        // The batch's watermark (25) goes out at its end: [0, 10) and
        // [10, 20) are final before the late event comes.
        input
            .submit_all_async([(1, 1), (2, 5), (1, 12), (1, 25)])
            .await
            .expect("submit");
        input.submit_async((2, 3)).await.expect("submit");
        drop(input);
        let report = finish(rt).await.expect("finish");
        (
            results.await.expect("results"),
            late.await.expect("late"),
            report,
        )
    });
    let mut rows: Vec<_> = rows.iter().map(|w| (w.key, w.start, w.value)).collect();
    rows.sort_unstable();
    assert_eq!(rows, [(1, 0, 1), (1, 10, 1), (1, 20, 1), (2, 0, 1)]);
    assert_eq!(late, [(2, 3)]);
    assert_eq!(report.late(), 1);
}

#[test]
fn a_stream_reader_sees_results_while_the_run_goes_on() {
    block_on(30, "results before finish", || async {
        let p = stream! { u64 -> map(|x| x + 1) };
        let mut rt = Runtime::builder().cores(1).build(p).expect("runtime");
        let mut output = rt.output().expect("output");
        let mut input = rt.input();
        for x in 0..3 {
            input.submit_async(x).await.expect("submit");
            // Woken by the core's publish, not by the end of the run.
            assert_eq!(output.recv_async().await, Ok(x + 1));
        }
        drop(input);
        finish(rt).await.expect("finish");
        assert!(next(&mut output).await.is_none(), "ends with the run");
    });
}

/// A one-core runtime whose output handle is taken and never read, with
/// the smallest queues: after a few events the core waits for the reader
/// and frees no credit, so a submit finds none.
fn stalled(policy: Policy) -> (Runtime<impl Pipeline<In = u64, Out = u64>>, Output<u64>) {
    let p = stream! { u64 -> map(|x| x) };
    let mut rt = Runtime::builder()
        .cores(1)
        .queue_capacity(2)
        .outbox_capacity(1)
        .backpressure(policy)
        .build(p)
        .expect("runtime");
    let output = rt.output().expect("output");
    (rt, output)
}

#[test]
fn under_block_a_submit_waits_until_the_reader_makes_room() {
    block_on(30, "block", || async {
        let (rt, output) = stalled(Policy::Block);
        let mut input = rt.input();
        let mut queued = 0;
        // Fill everything: the first submit that does not complete within
        // 100 ms is waiting for credit.
        let mut next_event = 0;
        loop {
            let submit = input.submit_async(next_event);
            match tokio::time::timeout(Duration::from_millis(100), submit).await {
                Ok(admission) => {
                    assert_eq!(admission.expect("submit"), Admission::Queued);
                    queued += 1;
                    next_event += 1;
                    assert!(queued < 100, "credit never ran out");
                }
                Err(_) => break,
            }
        }
        // That timed-out submit was dropped while it waited: its event is
        // counted as refused. Now read, and submitting goes on.
        let reader = tokio::spawn(collect(output));
        for x in 1_000..1_100 {
            input.submit_async(x).await.expect("submit");
        }
        drop(input);
        let report = finish(rt).await.expect("finish");
        let got = reader.await.expect("reader");
        assert_eq!(got.len(), queued + 100);
        assert_eq!(report.cores[0].refused, 1, "{report:?}");
        assert_eq!(report.submitted(), report.events_in());
        assert!(report.cores[0].blocked >= 1);
    });
}

#[test]
fn under_drop_and_error_a_submit_never_waits() {
    block_on(30, "drop and error", || async {
        let (rt, output) = stalled(Policy::Drop);
        let mut input = rt.input();
        let admitted = input.submit_all_async(0..200).await.expect("submit");
        assert!(admitted.dropped > 0, "{admitted:?}");
        assert_eq!(admitted.total(), 200);
        drop((input, output));
        let report = finish(rt).await.expect("finish");
        assert_eq!(report.dropped(), admitted.dropped as u64);

        let (rt, output) = stalled(Policy::Error);
        let mut input = rt.input();
        let mut refused = None;
        for x in 0..200 {
            if let Err(e) = input.submit_async(x).await {
                refused = Some(e);
                break;
            }
        }
        match refused {
            Some(SubmitError::Backpressure { event, core: 0 }) => assert!(event < 200),
            other => panic!("expected backpressure, got {other:?}"),
        }
        drop((input, output));
        finish(rt).await.expect("finish");
    });
}

#[test]
fn after_a_failure_a_submit_hands_the_event_back() {
    block_on(30, "failure", || async {
        let p = stream! {
            u64 -> map(|x| if x == 3 { panic!("three") } else { x })
        };
        let rt = Runtime::builder().cores(1).build(p).expect("runtime");
        let mut input = rt.input();
        input.submit_all_async(0..10).await.expect("submit");
        // The core fails on 3; a submit after that says so.
        let mut failed = None;
        for x in 10..10_000 {
            if let Err(e) = input.submit_async(x).await {
                failed = Some(e);
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(matches!(failed, Some(SubmitError::Failed(_))), "{failed:?}");
        drop(input);
        assert!(matches!(
            finish(rt).await,
            Err(RuntimeError::CorePanicked { .. })
        ));
    });
}
