//! A panicking operator: `finish` reports the core and the panic message,
//! and nothing hangs, not even a thread that keeps submitting with the
//! `Block` policy while the runtime fails and finishes under it. A sender
//! blocked on credit when a core fails gets `SubmitError::Failed` with its
//! event; one blocked when `finish` begins gets `Closed` with its event.

mod common;

use std::panic;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::{Ev, PanicWith, PanickyPipeline, core_of, keys_on};
use laminar_runtime::{Policy, Runtime, RuntimeError, SubmitError};

/// The panic hook is global: tests that swap it take turns.
static HOOK: Mutex<()> = Mutex::new(());

/// Runs `f` with the expected "poisoned" panics kept off stderr, then puts
/// the previous hook back.
fn quiet_poison<R>(f: impl FnOnce() -> R) -> R {
    let _turn = HOOK.lock().unwrap_or_else(|e| e.into_inner());
    let previous = Arc::new(panic::take_hook());
    let fallback = previous.clone();
    panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if !msg.starts_with("poisoned") {
            fallback(info);
        }
    }));
    let r = panic::catch_unwind(panic::AssertUnwindSafe(f));
    // Dropping our hook drops its clone of the previous one.
    drop(panic::take_hook());
    let previous = Arc::try_unwrap(previous)
        .ok()
        .expect("the previous hook is ours again");
    panic::set_hook(previous);
    r.unwrap_or_else(|p| panic::resume_unwind(p))
}

const CORES: usize = 2;

/// Slots per ingress ring: also the credits one handle has per core.
const QUEUE: usize = 64;

/// A key on core 1 that poisons it, and keys for ordinary traffic on both.
fn keys() -> (u64, Vec<u64>) {
    let poison = keys_on(1, CORES, 1)[0];
    let mut normal = keys_on(0, CORES, 4);
    normal.extend(keys_on(1, CORES, 5).into_iter().filter(|&k| k != poison));
    assert!(normal.iter().any(|&k| core_of(k, CORES) == 1));
    (poison, normal)
}

/// `outbox`: slots per outbox. These tests never drain while submitting, so
/// a small outbox stalls the cores until `finish` drains it.
fn runtime(poison: u64, with: PanicWith, outbox: usize, fanout: u32) -> Runtime<PanickyPipeline> {
    Runtime::builder()
        .cores(CORES)
        .queue_capacity(QUEUE)
        .outbox_capacity(outbox)
        .backpressure(Policy::Block)
        .build(PanickyPipeline {
            poison,
            with,
            fanout,
        })
        .unwrap()
}

fn expect_panicked(result: Result<laminar_runtime::Report, RuntimeError>, message: &str) {
    match result {
        Err(RuntimeError::CorePanicked {
            core, message: m, ..
        }) => {
            assert_eq!(core, 1);
            assert_eq!(m, message);
        }
        Ok(report) => panic!("finish succeeded after a panic:\n{report}"),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

#[test]
fn submitter_sees_failed_then_finish_reports_the_panic() {
    quiet_poison(|| {
        let (poison, normal) = keys();
        // Room in the outboxes for everything, so that core 1 gets to the
        // poison, a few hundred events in.
        let rt = runtime(poison, PanicWith::Formatted, 4096, 1);
        let mut input = rt.input();
        let submitter = std::thread::spawn(move || {
            let mut seq = 0u64;
            loop {
                let key = if seq == 300 {
                    poison
                } else {
                    normal[seq as usize % normal.len()]
                };
                let ev = Ev::new(0, key, seq);
                match input.submit(ev) {
                    Ok(_) => seq += 1,
                    Err(e) => return (e, ev, seq, input),
                }
            }
        });
        // The failed cores free no credit, so the submitter must block and
        // then give up.
        let (err, ev, seq, _input) = submitter.join().unwrap();
        assert!(
            seq > 300,
            "the poison event was accepted before the failure"
        );
        match err {
            SubmitError::Failed(back) => assert_eq!(back, ev, "Failed must carry the event"),
            other => panic!("expected Failed, got {other:?}"),
        }
        expect_panicked(rt.finish(), "poisoned by event 300 on core 1");
    });
}

#[test]
fn other_threads_are_refused_after_a_failure() {
    quiet_poison(|| {
        let (poison, normal) = keys();
        let rt = runtime(poison, PanicWith::Formatted, 4096, 1);
        let mut a = rt.input();
        let mut b = rt.input();
        a.submit(Ev::new(0, poison, 0)).unwrap();
        // Another handle on another thread, pushing at core 1 with `Block`:
        // it runs out of credit and must give up with `Failed`, not wait.
        let on_core_1: Vec<u64> = normal
            .iter()
            .copied()
            .filter(|&k| core_of(k, CORES) == 1)
            .collect();
        let t = std::thread::spawn(move || {
            for seq in 0.. {
                let ev = Ev::new(1, on_core_1[seq as usize % on_core_1.len()], seq);
                if let Err(e) = b.submit(ev) {
                    return (e, ev);
                }
            }
            unreachable!()
        });
        let (err, ev) = t.join().unwrap();
        match err {
            SubmitError::Failed(back) => assert_eq!(back, ev),
            other => panic!("expected Failed, got {other:?}"),
        }
        let err = rt.finish().unwrap_err();
        assert_eq!(
            err.to_string(),
            "core 1 panicked: poisoned by event 0 on core 1"
        );
        drop(a);
    });
}

#[test]
fn finish_does_not_hang_while_a_blocked_submitter_holds_its_channel() {
    // The cores stall on full outboxes (one event fills one) while their
    // reader waits for `finish` to begin, so they free no credit; a sender
    // blocked on credit holds its channel; `finish` must still close that
    // channel and report the panic that comes once the reader lets core 1
    // move on. (`finish` hung here until a blocked sender learned to give
    // up when the runtime closes.)
    quiet_poison(|| {
        for round in 0..5u64 {
            let (poison, normal) = keys();
            let on_core_1: Vec<u64> = normal
                .iter()
                .copied()
                .filter(|&k| core_of(k, CORES) == 1)
                .collect();
            let mut rt = runtime(poison, PanicWith::Literal, 64, 200);
            let mut input = rt.input();
            // A reader holding the output handle makes a full outbox wait
            // for it (without one, a core would keep the overflow and go on).
            let output = rt.output().unwrap();
            let finishing = Arc::new(AtomicBool::new(false));
            let go = finishing.clone();
            let reader = std::thread::spawn(move || {
                while !go.load(Ordering::SeqCst) {
                    std::thread::yield_now();
                }
                output.count()
            });
            let pulled = Arc::new(AtomicU64::new(0));
            let count = pulled.clone();
            let submitter = std::thread::spawn(move || {
                // Core 1 takes event 0 and stalls emitting it; the poison
                // waits behind it. `submit_iter` holds the channel for the
                // whole batch.
                let events = (0u64..).map(|seq| {
                    count.store(seq + 1, Ordering::SeqCst);
                    let key = if seq == 1 + round {
                        poison
                    } else {
                        on_core_1[seq as usize % on_core_1.len()]
                    };
                    Ev::new(0, key, seq)
                });
                input.submit_iter(events)
            });
            // The ring's 64 credits are all in flight once event 64 is
            // pulled, and the stalled core frees none: the submitter blocks
            // on it holding its channel.
            let mut rounds = 0u64;
            while pulled.load(Ordering::SeqCst) <= QUEUE as u64 {
                rounds += 1;
                assert!(
                    rounds < common::MAX_ROUNDS,
                    "the submitter never filled the ring"
                );
                std::thread::yield_now();
            }
            finishing.store(true, Ordering::SeqCst);
            let result = rt.finish();
            let refused = match &result {
                Err(e) => e.report().cores[1].refused,
                Ok(_) => 0,
            };
            expect_panicked(result, "poisoned");
            reader.join().unwrap();
            // The ring's slots are queued; the submitter had taken one more
            // batch from the iterator, waiting for credit: its first event
            // comes back in the error, the rest are counted as refused. A
            // batch is at most the line's own credits, half the ring.
            let pulled = pulled.load(Ordering::SeqCst);
            assert_eq!(
                pulled,
                QUEUE as u64 + 1 + refused,
                "more credits than slots"
            );
            assert!(refused < QUEUE as u64 / 2, "{refused} refused");
            match submitter.join().unwrap() {
                // `Closed` if `finish` began before the core failed (the
                // reader starts just before it), else `Failed`; either way
                // with the very event that waited.
                Err(SubmitError::Closed(back) | SubmitError::Failed(back)) => {
                    assert_eq!(back.seq, QUEUE as u64);
                    assert_eq!(core_of(back.key, CORES), 1);
                }
                other => panic!("expected Closed or Failed, got {other:?}"),
            }
        }
    });
}

#[test]
fn finish_does_not_hang_while_another_thread_keeps_submitting() {
    quiet_poison(|| {
        for round in 0..20u64 {
            let (poison, normal) = keys();
            // Outboxes far smaller than the traffic: the cores stall on them
            // until `finish` drains them.
            let rt = runtime(poison, PanicWith::Literal, 64, 1);
            let mut input = rt.input();
            let poisoned = Arc::new(AtomicBool::new(false));
            let flag = poisoned.clone();
            // Early enough to be accepted before the outboxes (64 each) and
            // the rings (64 each) fill up.
            let poison_at = 3 + 6 * round;
            let submitter = std::thread::spawn(move || {
                let mut seq = 0u64;
                loop {
                    let key = if seq == poison_at {
                        poison
                    } else {
                        normal[seq as usize % normal.len()]
                    };
                    let ev = Ev::new(0, key, seq);
                    match input.submit(ev) {
                        Ok(_) => {
                            if seq == poison_at {
                                flag.store(true, Ordering::SeqCst);
                            }
                            seq += 1;
                        }
                        Err(e) => return (e, ev),
                    }
                }
            });
            // Finish while the submitter is still going, once the poison is
            // in a queue.
            while !poisoned.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            expect_panicked(rt.finish(), "poisoned");
            // The submitter stopped too: refused because the runtime closed
            // or failed, with its event either way.
            let (err, ev) = submitter.join().unwrap();
            match err {
                SubmitError::Failed(back) | SubmitError::Closed(back) => assert_eq!(back, ev),
                other => panic!("expected Failed or Closed, got {other:?}"),
            }
        }
    });
}
