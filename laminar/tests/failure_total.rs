//! After a core fails, the runtime takes no more input, under every
//! backpressure policy, and nothing accepted before is lost without a count:
//! each core's `submitted` is its `events_in` plus its `abandoned`, and the
//! error from `finish` carries that report. (Before: `submit` returned `Ok`
//! until credit ran out, forever under `Drop`, and `Backpressure` under
//! `Error`; `finish` returned only the error.)

mod common;

use common::within;
use laminar::RuntimeError;
use laminar::prelude::*;

const POISON: u64 = 1_000;

fn run(policy: Policy) {
    let p = stream! {
        u64
        -> inspect(|x| if *x == POISON { panic!("poisoned") })
        -> map(|x| x)
    };
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let rt = Runtime::builder()
        .cores(2)
        .queue_capacity(64)
        .backpressure(policy)
        .build(p)
        .expect("runtime");
    let mut input = rt.input();
    let mut queued = 0u64;
    let mut dropped = 0u64;
    let mut next = 0u64;
    let mut poisoned = false;
    // Submit until the runtime says it failed. The poison is resubmitted
    // until it is queued: `Drop` may discard it.
    let refused = loop {
        let x = if next >= POISON && !poisoned {
            POISON
        } else {
            next
        };
        match input.submit(x) {
            Ok(Admission::Queued) => {
                queued += 1;
                poisoned |= x == POISON;
            }
            Ok(Admission::Dropped { .. }) => dropped += 1,
            Err(SubmitError::Backpressure { .. }) => {
                std::thread::yield_now();
                continue;
            }
            Err(e) => break (e, x),
        }
        if x == next {
            next += 1;
        }
    };
    assert!(poisoned, "failed before the poison went in");
    assert!(
        matches!(refused, (SubmitError::Failed(e), x) if e == x),
        "{refused:?}"
    );
    // Every later submit is refused with its event, whatever the policy.
    for x in [5, 6, 7] {
        match input.submit(x) {
            Err(SubmitError::Failed(back)) => assert_eq!(back, x),
            other => panic!("{policy:?}: expected Failed, got {other:?}"),
        }
    }
    match input.submit_iter(10..20) {
        Err(SubmitError::Failed(back)) => assert_eq!(back, 10),
        other => panic!("{policy:?}: expected Failed, got {other:?}"),
    }
    match input.advance_watermark(99) {
        Err(SubmitError::Failed(99)) => {}
        other => panic!("{policy:?}: expected Failed, got {other:?}"),
    }
    drop(input);
    let err = rt.finish_into(&mut Vec::new()).expect_err("a core failed");
    std::panic::set_hook(prev);
    let RuntimeError::CorePanicked { message, .. } = &err else {
        panic!("{err}");
    };
    assert!(message.contains("poisoned"));
    let report = err.report();
    assert_eq!(report.submitted(), queued, "{policy:?}");
    assert_eq!(report.dropped(), dropped, "{policy:?}");
    for c in &report.cores {
        assert_eq!(c.submitted, c.events_in + c.abandoned, "{policy:?}: {c:?}");
    }
}

#[test]
fn after_a_failure_every_submit_is_refused_and_every_event_counted() {
    for policy in [Policy::Block, Policy::Drop, Policy::Error] {
        within(60, "failure", move || run(policy));
    }
}
