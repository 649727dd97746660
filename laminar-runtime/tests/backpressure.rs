//! Backpressure under each policy. `Block`: two producers overrun two slow
//! cores through tiny queues; every event arrives exactly once, each key
//! keeps each producer's order, and the report shows senders really
//! blocked. `Drop`: what is not processed is counted as dropped, exactly.
//! `Error`: the refused event comes back intact, and is accepted once the
//! core catches up. After `finish`, live handles get `Closed` with their
//! event.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::{Ev, Gate, GatedPipeline, SlowPipeline, core_of, mix};
use laminar_runtime::{Policy, Runtime, SubmitError};

/// Events per producer in the `Block` test.
const PER_PRODUCER: u64 = if cfg!(debug_assertions) {
    100_000
} else {
    1_000_000
};

/// Distinct keys; both producers use all of them.
const KEYS: u64 = 509;

/// Work per event in the slow operator, in spin rounds.
const SPINS: u32 = 300;

fn key_for(producer: u32, seq: u64) -> u64 {
    mix(seq ^ ((producer as u64) << 40)) % KEYS
}

#[test]
fn block_delivers_everything_once_in_order() {
    let cores = 2;
    let mut rt = Runtime::builder()
        .cores(cores)
        .queue_capacity(64)
        .outbox_capacity(256)
        .backpressure(Policy::Block)
        .build(SlowPipeline { spins: SPINS })
        .unwrap();
    let inputs = [rt.input(), rt.input()];
    let mut out: Vec<(usize, Ev)> = Vec::new();
    std::thread::scope(|s| {
        let producers: Vec<_> = inputs
            .into_iter()
            .enumerate()
            .map(|(p, mut input)| {
                s.spawn(move || {
                    let p = p as u32;
                    let mut seq = 0u64;
                    // Mostly single submits, and a run of `submit_iter` now
                    // and then.
                    while seq < PER_PRODUCER {
                        if seq % 100 < 80 {
                            input.submit(Ev::new(p, key_for(p, seq), seq)).unwrap();
                            seq += 1;
                        } else {
                            let end = (seq + 20).min(PER_PRODUCER);
                            let n = input
                                .submit_iter((seq..end).map(|q| Ev::new(p, key_for(p, q), q)))
                                .unwrap();
                            assert_eq!(n.queued as u64, end - seq);
                            seq = end;
                        }
                    }
                })
            })
            .collect();
        while producers.iter().any(|h| !h.is_finished()) {
            if rt.drain(&mut out) == 0 {
                std::thread::yield_now();
            }
        }
        for h in producers {
            h.join().expect("producer panicked");
        }
    });
    let report = rt.finish_into(&mut out).unwrap();

    let total = 2 * PER_PRODUCER;
    assert_eq!(out.len() as u64, total, "events lost or duplicated");
    let mut seen = [
        vec![false; PER_PRODUCER as usize],
        vec![false; PER_PRODUCER as usize],
    ];
    let mut last: HashMap<(u32, u64), u64> = HashMap::new();
    for &(core, ev) in &out {
        assert_eq!(
            core,
            core_of(ev.key, cores),
            "key {} ran on the wrong core",
            ev.key
        );
        assert_eq!(
            ev.key,
            key_for(ev.producer, ev.seq),
            "event corrupted: {ev:?}"
        );
        let slot = &mut seen[ev.producer as usize][ev.seq as usize];
        assert!(!*slot, "duplicate event {ev:?}");
        *slot = true;
        // `out` keeps each core's outbox order (drain appends outbox by
        // outbox), and a key lives on one core: per key and producer the
        // sequence numbers must rise.
        if let Some(prev) = last.insert((ev.producer, ev.key), ev.seq) {
            assert!(
                prev < ev.seq,
                "key {} from producer {}: seq {} after {}",
                ev.key,
                ev.producer,
                ev.seq,
                prev
            );
        }
    }
    assert!(
        seen.iter().all(|s| s.iter().all(|&b| b)),
        "an event never arrived"
    );

    assert_eq!(report.submitted(), total);
    assert_eq!(report.events_in(), total);
    assert_eq!(report.events_out(), total);
    assert_eq!(report.dropped(), 0);
    let blocked: u64 = report.cores.iter().map(|c| c.blocked).sum();
    assert!(
        blocked > 0,
        "no sender ever blocked: backpressure never engaged\n{report}"
    );
    for c in &report.cores {
        // Every credited event's credit came back (single submits a core
        // took from a lane held none). Beyond that, a sender may end
        // holding credits it took ahead and never used (at most a ring's
        // worth per channel; two channels per core); retiring its channel
        // repays the borrowed ones among them, counted as released too.
        assert!(
            c.submitted - c.from_lanes <= c.credits_released
                && c.credits_released <= c.credits_acquired,
            "core {}: {} submitted, {} credits released, {} acquired",
            c.core,
            c.submitted,
            c.credits_released,
            c.credits_acquired
        );
        assert!(
            c.credits_acquired - (c.submitted - c.from_lanes) <= 2 * 64,
            "core {}",
            c.core
        );
        assert_eq!(c.rejected, 0);
        assert_eq!(c.outputs_lost, 0);
    }
}

#[test]
fn drop_counts_every_event_it_does_not_process() {
    let attempts: u64 = if cfg!(debug_assertions) {
        50_000
    } else {
        300_000
    };
    let mut rt = Runtime::builder()
        .cores(1)
        .queue_capacity(4)
        .outbox_capacity(1024)
        .backpressure(Policy::Drop)
        .build(SlowPipeline { spins: 2_000 })
        .unwrap();
    let mut input = rt.input();
    let mut out = Vec::new();
    for seq in 0..attempts {
        // Under `Drop`, a full core is not an error.
        input.submit(Ev::new(0, seq % 7, seq)).unwrap();
        if seq % 64 == 0 {
            rt.drain(&mut out);
        }
    }
    drop(input);
    let report = rt.finish_into(&mut out).unwrap();
    let c = &report.cores[0];
    assert!(
        c.dropped > 0,
        "nothing was dropped: the queue never filled\n{report}"
    );
    assert_eq!(c.events_in + c.dropped, attempts, "{report}");
    assert_eq!(c.submitted, c.events_in);
    assert_eq!(out.len() as u64, c.events_in);
    assert_eq!(c.blocked, 0, "`Drop` never waits");
    // What got through kept its order, and nothing came twice.
    assert!(out.windows(2).all(|w| w[0].1.seq < w[1].1.seq));
}

#[test]
fn error_hands_the_event_back_and_recovers() {
    let gate = Arc::new(Gate::default());
    let rt = Runtime::builder()
        .cores(1)
        .queue_capacity(4)
        .backpressure(Policy::Error)
        .build(GatedPipeline { gate: gate.clone() })
        .unwrap();
    let mut input = rt.input();
    let ev = |seq: u64| Ev::new(7, 1_000 + seq, seq);

    // The first event holds the core at the gate; its credit is not back
    // until the batch it came in is done.
    input.submit(ev(0)).unwrap();
    gate.wait_until("the first event to reach the operator", |g| {
        g.entered.load(Ordering::SeqCst) == 1
    });

    // The ring has 4 slots, so the line has 4 credits: 2 exclusive and 2 it
    // may borrow from the core's pool. Three more fit, the next is refused.
    let mut seq = 1;
    let refused = loop {
        match input.submit(ev(seq)) {
            Ok(_) => seq += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(seq, 4, "credits in flight must match the ring's 4 slots");
    let mut rejections = 1;
    let back = match refused {
        SubmitError::Backpressure { event, core } => {
            assert_eq!(core, 0);
            event
        }
        other => panic!("expected Backpressure, got {other:?}"),
    };
    assert_eq!(back, ev(4), "the refused event must come back intact");

    // Still refused while the core is stuck, and each time the same event.
    let mut pending = back;
    for _ in 0..10 {
        match input.submit(pending) {
            Err(SubmitError::Backpressure { event, core: 0 }) => {
                assert_eq!(event, ev(4));
                pending = event;
                rejections += 1;
            }
            other => panic!("expected Backpressure, got {other:?}"),
        }
    }
    // A batch submit stops at the refused event and gives it back; the rest
    // stay in the iterator.
    let mut batch = (4..8).map(ev);
    match input.submit_iter(batch.by_ref()) {
        Err(SubmitError::Backpressure { event, core: 0 }) => {
            assert_eq!(event, ev(4));
            rejections += 1;
        }
        other => panic!("expected Backpressure, got {other:?}"),
    }
    assert_eq!(batch.next(), Some(ev(5)));

    // Let the core drain, then the very same event is taken.
    gate.open.store(true, Ordering::SeqCst);
    gate.wait_until("the core to drain", |g| {
        g.passed.load(Ordering::SeqCst) == 4
    });
    let mut rounds = 0u64;
    loop {
        match input.submit(pending) {
            Ok(_) => break,
            Err(SubmitError::Backpressure { event, .. }) => {
                // The credits come back right after the batch; a few tries
                // may still see them out.
                assert_eq!(event, ev(4));
                pending = event;
                rejections += 1;
                rounds += 1;
                assert!(rounds < common::MAX_ROUNDS, "credits never came back");
                std::thread::yield_now();
            }
            Err(other) => panic!("expected Ok, got {other:?}"),
        }
    }
    // And the stream goes on: retry each refusal until it is taken.
    for s in 5..200 {
        let mut e = ev(s);
        loop {
            match input.submit(e) {
                Ok(_) => break,
                Err(SubmitError::Backpressure { event, .. }) => {
                    assert_eq!(event, ev(s));
                    e = event;
                    rejections += 1;
                    std::thread::yield_now();
                }
                Err(other) => panic!("expected Ok, got {other:?}"),
            }
        }
    }
    drop(input);
    let mut out = Vec::new();
    let report = rt.finish_into(&mut out).unwrap();
    let expected: Vec<Ev> = (0..200).map(ev).collect();
    assert_eq!(out, expected, "each accepted event arrives once, in order");
    assert_eq!(report.cores[0].rejected, rejections);
    assert_eq!(report.submitted(), 200);
    assert_eq!(report.dropped(), 0);
}

#[test]
fn closed_after_finish_returns_the_event() {
    let rt = Runtime::builder()
        .cores(2)
        .queue_capacity(16)
        .build(SlowPipeline { spins: 0 })
        .unwrap();
    let mut input = rt.input();
    let mut clone = input.clone();
    input.submit(Ev::new(0, 1, 0)).unwrap();
    clone.submit(Ev::new(1, 2, 0)).unwrap();
    let mut out = Vec::new();
    let report = rt.finish_into(&mut out).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(report.submitted(), 2);

    // Live handles, each core's channel: refused with the event inside.
    for key in 0..8 {
        let e = Ev::new(1, key, 100 + key);
        match clone.submit(e) {
            Err(SubmitError::Closed(back)) => assert_eq!(back, e),
            other => panic!("expected Closed, got {other:?}"),
        }
        assert_eq!(input.submit(e).unwrap_err().into_inner(), e);
    }
    let mut rest = (0..3).map(|s| Ev::new(0, s, s));
    match input.submit_iter(rest.by_ref()) {
        Err(SubmitError::Closed(back)) => assert_eq!(back, Ev::new(0, 0, 0)),
        other => panic!("expected Closed, got {other:?}"),
    }
    assert_eq!(rest.next(), Some(Ev::new(0, 1, 1)));
    match input.advance_watermark(42) {
        Err(SubmitError::Closed(42)) => {}
        other => panic!("expected Closed(42), got {other:?}"),
    }
    // A handle cloned after the end is born closed.
    let mut late = clone.clone();
    match late.submit(Ev::new(2, 3, 4)) {
        Err(SubmitError::Closed(back)) => assert_eq!(back, Ev::new(2, 3, 4)),
        other => panic!("expected Closed, got {other:?}"),
    }
    // The keys above reached both cores' channels.
    let cores: std::collections::HashSet<usize> = (0..8).map(|k| core_of(k, 2)).collect();
    assert_eq!(cores.len(), 2);
}
