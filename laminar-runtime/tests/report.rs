//! What reaches the operator besides events, and what the report says:
//! a core's watermark is the minimum over its inputs (a handle that has
//! promised nothing yet holds it back, one that finished no longer does),
//! `on_end` runs once per core at the end, and asked-for pinning is
//! reported as done or failed, never as not asked for.

mod common;

use common::{Ev, RecorderPipeline, Seen, drain_until, keys_on};
use laminar_runtime::{Pinning, Runtime, Timestamp};

fn watermarks(out: &[Seen], core: usize) -> Vec<Timestamp> {
    out.iter()
        .filter_map(|s| match *s {
            Seen::Watermark { core: c, watermark } if c == core => Some(watermark),
            _ => None,
        })
        .collect()
}

/// True once every core's latest watermark is `w`.
fn all_at(out: &[Seen], cores: usize, w: Timestamp) -> bool {
    (0..cores).all(|c| watermarks(out, c).last() == Some(&w))
}

#[test]
fn core_watermark_is_the_minimum_over_its_inputs() {
    let cores = 2;
    let mut rt = Runtime::builder()
        .cores(cores)
        .queue_capacity(16)
        .build(RecorderPipeline)
        .unwrap();
    let mut a = rt.input();
    let mut b = rt.input();
    let mut out = Vec::new();

    // `a` alone promises 100: `b` has promised nothing, so no core moves
    // until `b` says 50, and then only to 50.
    a.advance_watermark(100).unwrap();
    b.advance_watermark(50).unwrap();
    drain_until(&mut rt, &mut out, "watermark 50", |o| all_at(o, cores, 50));
    // `b` overtakes `a`: the cores follow `a`, the lower one.
    b.advance_watermark(200).unwrap();
    drain_until(&mut rt, &mut out, "watermark 100", |o| {
        all_at(o, cores, 100)
    });
    a.advance_watermark(150).unwrap();
    drain_until(&mut rt, &mut out, "watermark 150", |o| {
        all_at(o, cores, 150)
    });
    // `a` overtakes `b`: now `b` holds the cores at 200.
    a.advance_watermark(300).unwrap();
    drain_until(&mut rt, &mut out, "watermark 200", |o| {
        all_at(o, cores, 200)
    });
    // A finished input no longer holds the cores back.
    drop(b);
    drain_until(&mut rt, &mut out, "watermark 300", |o| {
        all_at(o, cores, 300)
    });
    // Going backwards is ignored.
    a.advance_watermark(10).unwrap();
    drop(a);
    let report = rt.finish_into(&mut out).unwrap();

    for core in 0..cores {
        assert_eq!(
            watermarks(&out, core),
            [50, 100, 150, 200, 300],
            "core {core}"
        );
        // One message per `advance_watermark` per handle reached each core.
        assert_eq!(report.cores[core].watermarks, 6);
    }
}

#[test]
fn on_end_runs_once_per_core_after_its_events() {
    let cores = 3;
    let rt = Runtime::builder()
        .cores(cores)
        .build(RecorderPipeline)
        .unwrap();
    let mut input = rt.input();
    for core in 0..cores {
        for (seq, key) in keys_on(core, cores, 10).into_iter().enumerate() {
            input.submit(Ev::new(0, key, seq as u64)).unwrap();
        }
    }
    drop(input);
    let mut out = Vec::new();
    let report = rt.finish_into(&mut out).unwrap();
    assert_eq!(report.events_in(), 30);
    for core in 0..cores {
        let mine: Vec<&Seen> = out
            .iter()
            .filter(|s| match s {
                Seen::Event { core: c, .. } | Seen::Late { core: c, .. } => *c == core,
                Seen::Watermark { core: c, .. } | Seen::End { core: c } => *c == core,
            })
            .collect();
        let ends = mine
            .iter()
            .filter(|s| matches!(s, Seen::End { .. }))
            .count();
        assert_eq!(ends, 1, "core {core} ended {ends} times");
        assert_eq!(mine.len(), 11, "core {core}: its 10 events and its end");
        assert!(
            matches!(mine.last(), Some(Seen::End { .. })),
            "core {core} ended early"
        );
    }
    // A runtime with no input at all still ends each core once.
    let rt = Runtime::builder().cores(2).build(RecorderPipeline).unwrap();
    let mut out = Vec::new();
    rt.finish_into(&mut out).unwrap();
    out.sort_by_key(|s| match s {
        Seen::End { core } => *core,
        other => panic!("unexpected {other:?}"),
    });
    assert_eq!(out, [Seen::End { core: 0 }, Seen::End { core: 1 }]);
}

#[test]
fn pinning_is_reported_when_asked_for() {
    for (pin, cores) in [(true, 2), (true, 3), (false, 2)] {
        let rt = Runtime::builder()
            .cores(cores)
            .pin_cores(pin)
            .build(RecorderPipeline)
            .unwrap();
        let report = rt.finish_into(&mut Vec::new()).unwrap();
        assert_eq!(report.cores.len(), cores);
        for (i, c) in report.cores.iter().enumerate() {
            assert_eq!(c.core, i);
            match (&c.pinning, pin) {
                (Pinning::Pinned(_) | Pinning::Failed(_), true) => {}
                (Pinning::NotRequested, false) => {}
                (other, _) => panic!("pin_cores({pin}): core {i} says {other:?}"),
            }
            // The display line names it too.
            assert!(report.to_string().contains(&c.pinning.to_string()));
        }
    }
}

#[test]
fn a_new_handle_holds_the_watermark_back_at_once() {
    // A handle that exists has promised nothing, so it holds its cores'
    // watermark back even before the core has taken its channel in: an
    // event it sends at any time at or above the watermark it saw must
    // not arrive late.
    let rounds: u64 = if cfg!(debug_assertions) {
        10_000
    } else {
        100_000
    };
    let mut rt = Runtime::builder()
        .cores(1)
        .queue_capacity(8)
        .build(RecorderPipeline)
        .unwrap();
    let mut holder = rt.input();
    let mut out = Vec::new();
    let mut late = Vec::new();
    for i in 1..=rounds {
        // Until now the core may have reached i - 1.
        let mut newcomer = rt.input();
        holder.advance_watermark(i).unwrap();
        // On time: nothing in force promised more than i - 1.
        newcomer.submit(Ev::new(1, 0, i - 1)).unwrap();
        drop(newcomer);
        if i % 64 == 0 {
            rt.drain(&mut out);
            late.extend(out.drain(..).filter(|s| matches!(s, Seen::Late { .. })));
        }
    }
    drop(holder);
    let report = rt.finish_into(&mut out).unwrap();
    late.extend(out.drain(..).filter(|s| matches!(s, Seen::Late { .. })));
    assert_eq!(report.events_in(), rounds);
    assert!(
        late.is_empty(),
        "{} of {rounds} events arrived behind a watermark their own handle \
         never agreed to; first: {:?}",
        late.len(),
        late.first()
    );
}
