//! Channels and outboxes publish in batches: an input handle's messages once
//! per credit batch and at the end of each submit, a worker's results once
//! per pass. These check that nothing waits unpublished while the other side
//! idles: one event at a time, each result must reach `drain` before the
//! next event goes in; and in a `submit_iter` where one core gets a single
//! event among many for another, that event's result must arrive too.

mod common;

use common::{Ev, RecorderPipeline, Seen, drain_until, keys_on};
use laminar_runtime::Runtime;

/// The events of `out`, in the order drained.
fn events(out: &[Seen]) -> Vec<(usize, u64)> {
    out.iter()
        .filter_map(|s| match s {
            Seen::Event { core, event } => Some((*core, event.seq)),
            _ => None,
        })
        .collect()
}

#[test]
fn each_result_reaches_drain_before_the_next_event_goes_in() {
    for cores in [1, 2] {
        let mut rt = Runtime::builder()
            .cores(cores)
            .build(RecorderPipeline)
            .unwrap();
        let mut input = rt.input();
        let mut out = Vec::new();
        for seq in 0..200u64 {
            input.submit(Ev::new(0, seq, seq)).unwrap();
            let want = 2 * seq as usize + 1;
            drain_until(&mut rt, &mut out, "the result of a lone submit", |o| {
                events(o).len() == want
            });
            // Same with a one-event batch.
            input.submit_iter([Ev::new(1, seq, seq)]).unwrap();
            drain_until(&mut rt, &mut out, "the result of a lone submit_iter", |o| {
                events(o).len() == want + 1
            });
        }
        drop(input);
        rt.finish().unwrap();
    }
}

#[test]
fn a_core_with_one_event_in_a_long_batch_gets_it_published() {
    let cores = 2;
    let mut rt = Runtime::builder()
        .cores(cores)
        .build(RecorderPipeline)
        .unwrap();
    let mut input = rt.input();
    let busy = keys_on(0, cores, 1)[0];
    let lone = keys_on(1, cores, 1)[0];
    // 999 events for core 0 around a single one for core 1, which alone
    // never fills a credit batch.
    let batch = (0..1000u64).map(|seq| Ev::new(0, if seq == 500 { lone } else { busy }, seq));
    assert_eq!(input.submit_iter(batch).unwrap().queued, 1000);
    let mut out = Vec::new();
    drain_until(&mut rt, &mut out, "all 1000 results", |o| {
        events(o).len() == 1000
    });
    assert_eq!(
        events(&out).iter().filter(|&&(core, _)| core == 1).count(),
        1,
        "the lone event reached its core"
    );
    drop(input);
    rt.finish().unwrap();
}
