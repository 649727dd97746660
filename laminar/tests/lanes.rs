//! Single submits wait in a lane per channel that the core takes: an event
//! never stays there while its core is idle, lanes keep order with batches
//! and watermarks, and `finish` takes what a live handle left in its lanes.

mod common;

use std::time::Duration;

use common::within;
use laminar::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Ev {
    key: u64,
    seq: u64,
}

fn keyed() -> impl Pipeline<In = Ev, Out = Ev> {
    stream! {
        Ev
        -> key_by(|e| e.key)
        -> map(|e| e)
    }
}

#[test]
fn a_single_event_reaches_an_idle_core_without_flush() {
    within(60, "single events to idle cores", || {
        let mut rt = Runtime::builder().cores(2).build(keyed()).unwrap();
        let mut output = rt.output().unwrap();
        let mut input = rt.input();
        for seq in 0..200 {
            // Long enough for the cores to park between events.
            if seq % 20 == 0 {
                std::thread::sleep(Duration::from_millis(10));
            }
            input.submit(Ev { key: seq % 7, seq }).unwrap();
            let got = output
                .recv_timeout(Duration::from_secs(5))
                .expect("the event came out without a flush");
            assert_eq!(got, Ev { key: seq % 7, seq });
        }
        drop(input);
        let report = rt.finish().unwrap();
        assert_eq!(report.events_in(), 200);
        let from_lanes: u64 = report.cores.iter().map(|c| c.from_lanes).sum();
        assert!(from_lanes > 0, "cores took events from the lanes");
    });
}

#[test]
fn singles_batches_and_flushes_keep_each_keys_order() {
    let (out, report) = within(60, "order", || {
        let rt = Runtime::builder()
            .cores(2)
            .queue_capacity(8)
            .build(keyed())
            .unwrap();
        let mut a = rt.input();
        let mut b = a.clone();
        std::thread::scope(|s| {
            for (input, key_base) in [(&mut a, 0u64), (&mut b, 100)] {
                s.spawn(move || {
                    let mut seq = 0;
                    for round in 0..200 {
                        for _ in 0..37 {
                            input
                                .submit(Ev {
                                    key: key_base + seq % 5,
                                    seq,
                                })
                                .unwrap();
                            seq += 1;
                        }
                        let end = seq + 23;
                        input
                            .submit_iter((seq..end).map(|q| Ev {
                                key: key_base + q % 5,
                                seq: q,
                            }))
                            .unwrap();
                        seq = end;
                        if round % 3 == 0 {
                            input.flush();
                        }
                    }
                });
            }
        });
        let mut out = Vec::new();
        // The handles are still alive: `finish` takes what their lanes hold.
        let report = rt.finish_into(&mut out).unwrap();
        drop((a, b));
        (out, report)
    });
    assert_eq!(out.len(), 2 * 200 * 60);
    assert_eq!(report.events_in(), 2 * 200 * 60);
    let mut last = std::collections::HashMap::new();
    for e in &out {
        if let Some(prev) = last.insert(e.key, e.seq) {
            assert!(prev < e.seq, "key {}: {} after {prev}", e.key, e.seq);
        }
    }
}

#[test]
fn watermarks_follow_the_single_events_they_cover() {
    // Every event is on time (in order, no lateness): one that a
    // watermark overtook in its lane would be late.
    let pipeline = stream! {
        Ev
        -> event_time(|e| e.seq, lateness = 0ms)
        -> key_by(|e| e.key)
        -> window(tumbling(50ms))
        -> aggregate(count())
    };
    let (out, report) = within(60, "watermarks and lanes", move || {
        let rt = Runtime::builder()
            .cores(2)
            .queue_capacity(16)
            .build(pipeline)
            .unwrap();
        let mut input = rt.input();
        for seq in 0..50_000 {
            input.submit(Ev { key: seq % 3, seq }).unwrap();
        }
        drop(input);
        let mut out = Vec::new();
        let report = rt.finish_into(&mut out).unwrap();
        (out, report)
    });
    assert_eq!(report.late(), 0);
    assert_eq!(out.iter().map(|w| w.value).sum::<u64>(), 50_000);
    assert_eq!(out.len(), 1000 * 3);
}
