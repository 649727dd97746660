//! Events behind the watermark but within the allowed lateness, in the
//! smallest cases: what the Nexmark tests (`nexmark_q5.rs`,
//! `nexmark_q11.rs`) found wrong, one test per bug. Run in the test
//! harness, which runs the runtime's chain with the watermark moved by hand.

use laminar::prelude::*;
use laminar::testing::Harness;

/// (key, timestamp in ms)
type Ev = (u64, u64);

/// Pushes `first`, sends the watermark an input would (its highest
/// timestamp), then pushes `then` and ends the input; returns the results
/// as (key, start, end, value), sorted. No event here is late;
/// `partly_late` are the ones that are partly late.
fn run<P>(p: P, first: &[Ev], then: &[Ev], partly_late: &[Ev]) -> Vec<(u64, u64, u64, u64)>
where
    P: Pipeline<In = Ev, Out = Windowed<u64, u64>>,
{
    let mut h = Harness::new(p).expect("harness");
    h.push_all(first.iter().copied());
    h.emit_watermark();
    h.push_all(then.iter().copied());
    h.end_input();
    assert_eq!(h.take_late(), partly_late, "the late output");
    assert_eq!(h.counts().late, 0);
    assert_eq!(h.counts().partly_late, partly_late.len() as u64);
    let mut rows: Vec<_> = h
        .take_output()
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
    let mut h = Harness::new(p).expect("harness");
    // As above: [0, 10) fires at watermark 12 and is kept until 30; the
    // event at 5 grows it to [0, 15).
    h.push_all([(1, 0), (2, 12)]);
    assert_eq!(h.emit_watermark(), Some(12));
    h.push((1, 5));
    // Watermark 25: key 2's [12, 22) fires, and [0, 15) must have fired
    // before it (its end is earlier; one core emits in order).
    h.push((2, 25));
    assert_eq!(h.emit_watermark(), Some(25));
    let rows: Vec<_> = h
        .take_output()
        .iter()
        .map(|w| (w.key, w.start, w.end, w.value))
        .collect();
    assert_eq!(rows, [(1, 0, 10, 1), (1, 0, 15, 2), (2, 12, 22, 1)]);
}
