//! Events behind the watermark but within the allowed lateness, in the
//! smallest cases: what the Nexmark tests (`nexmark_q5.rs`,
//! `nexmark_q11.rs`) found wrong, one test per bug.

use laminar::prelude::*;

/// (key, timestamp in ms)
type Ev = (u64, u64);

/// Runs `first`, then `then` once the watermark has moved past `first`;
/// returns the results as (key, start, end, value), sorted. No event here
/// is late; `partly_late` are the ones that are partly late.
fn run<P>(p: P, first: &[Ev], then: &[Ev], partly_late: &[Ev]) -> Vec<(u64, u64, u64, u64)>
where
    P: Pipeline<In = Ev, Out = Windowed<u64, u64>>,
{
    let rt = Runtime::builder().cores(1).build(p).expect("runtime");
    let mut input = rt.input();
    input.submit_iter(first.iter().copied()).expect("submit");
    input.submit_iter(then.iter().copied()).expect("submit");
    drop(input);
    let (mut out, mut late) = (Vec::new(), Vec::new());
    let report = rt.finish_with_late(&mut out, &mut late).expect("finish");
    assert_eq!(late, partly_late, "the late output");
    assert_eq!(report.late(), 0);
    assert_eq!(report.partly_late(), partly_late.len() as u64);
    let mut rows: Vec<_> = out
        .into_iter()
        .map(|w| (w.key, w.start, w.end, w.value))
        .collect();
    rows.sort_unstable();
    rows
}

#[test]
fn sliding_refire_skips_windows_past_their_lateness() {
    let p = stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(sliding(10ms, 5ms), allowed_lateness = 5ms)
        -> aggregate(count())
    };
    // At watermark 22, [0, 10) and [5, 15) are past their lateness (15 and
    // 20 <= 22) and their panes are freed; [10, 20) is within it (25 > 22).
    // The event at 12 is in [5, 15) and [10, 20): not late, as its last
    // window [10, 20) is still kept. It updates [10, 20), which fires again.
    // [5, 15) is final: it went out with 3 and must not go out again. Today
    // it goes out a second time as (5, 15) = 1, counted from pane [10, 15)
    // alone. Having missed [5, 15), the event is partly late.
    let rows = run(
        p,
        &[(1, 5), (1, 6), (1, 7), (1, 22)],
        &[(1, 12)],
        &[(1, 12)],
    );
    assert_eq!(
        rows,
        [
            (1, 0, 10, 3),
            (1, 5, 15, 3),
            (1, 10, 20, 1),
            (1, 15, 25, 1),
            (1, 20, 30, 1),
        ]
    );
}

#[test]
fn a_fired_session_extended_past_the_watermark_fires_again() {
    let p = stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(session(10ms), allowed_lateness = 20ms)
        -> aggregate(count())
    };
    // Watermark 12 (from key 2): key 1's session [0, 10) fires with 1. The
    // event at 5 is not late (5 + 10 + 20 > 12): the session grows to
    // [0, 15), past the watermark, so it must fire again when the watermark
    // reaches 15, here at end of input. Today it never does.
    let rows = run(p, &[(1, 0), (2, 12)], &[(1, 5)], &[]);
    assert_eq!(rows, [(1, 0, 10, 1), (1, 0, 15, 2), (2, 12, 22, 1)]);
}

#[test]
fn an_extended_session_fires_when_the_watermark_reaches_its_new_end() {
    let p = stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(session(10ms), allowed_lateness = 20ms)
        -> aggregate(count())
    };
    let mut rt = Runtime::builder().cores(1).build(p).expect("runtime");
    let mut input = rt.input();
    // As above: [0, 10) fires at watermark 12 and is kept until 30; the
    // event at 5 grows it to [0, 15).
    input.submit_iter([(1, 0), (2, 12)]).expect("submit");
    input.submit_iter([(1, 5)]).expect("submit");
    // Watermark 25: key 2's [12, 22) fires, and [0, 15) must have fired
    // before it (its end is earlier; one core emits in order).
    input.submit_iter([(2, 25)]).expect("submit");
    let mut out: Vec<Windowed<u64, u64>> = Vec::new();
    let waiting = std::time::Instant::now();
    while !out.iter().any(|w| (w.key, w.start) == (2, 12)) {
        assert!(
            waiting.elapsed().as_secs() < 10,
            "watermark 25 never applied"
        );
        rt.drain(&mut out);
        std::thread::yield_now();
    }
    let rows: Vec<_> = out
        .iter()
        .map(|w| (w.key, w.start, w.end, w.value))
        .collect();
    assert_eq!(rows, [(1, 0, 10, 1), (1, 0, 15, 2), (2, 12, 22, 1)]);
}
