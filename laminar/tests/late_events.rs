//! Which events are on time, partly late or late, one test per window shape:
//! what reaches the results, what reaches the late output, and which count
//! it lands in (the rules are in the `stream!` reference). Run in the test
//! harness, which runs the runtime's chain with the watermark moved by hand.

use laminar::prelude::*;
use laminar::testing::Harness;

/// (key, timestamp in ms)
type Ev = (u64, u64);

/// What a run gave: results as (key, start, end, count), sorted; the late
/// output in order; the counts of late and partly late events.
struct Run {
    rows: Vec<(u64, u64, u64, u64)>,
    late: Vec<Ev>,
    fully: u64,
    partly: u64,
}

/// Pushes `first`, sends the watermark an input would (its highest
/// timestamp), then pushes `then` and ends the input.
fn run<P>(p: P, first: &[Ev], then: &[Ev]) -> Run
where
    P: Pipeline<In = Ev, Out = Windowed<u64, u64>>,
{
    let mut h = Harness::new(p).expect("harness");
    h.push_all(first.iter().copied());
    h.emit_watermark();
    h.push_all(then.iter().copied());
    h.end_input();
    let mut rows: Vec<_> = h
        .take_output()
        .into_iter()
        .map(|w| (w.key, w.start, w.end, w.value))
        .collect();
    rows.sort_unstable();
    Run {
        rows,
        late: h.take_late(),
        fully: h.counts().late,
        partly: h.counts().partly_late,
    }
}

#[test]
fn tumbling_an_event_is_on_time_or_wholly_late() {
    let p = stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(tumbling(10ms), allowed_lateness = 2ms)
        -> aggregate(count())
    };
    // Watermark 17. The event at 12 is behind it but its one window,
    // [10, 20), is open: on time. The event at 4 belongs to [0, 10) alone,
    // past its end plus lateness (12 <= 17): late. None is partly late.
    let run = run(p, &[(1, 3), (1, 7), (1, 17)], &[(1, 12), (1, 4)]);
    assert_eq!(run.rows, [(1, 0, 10, 2), (1, 10, 20, 2)]);
    assert_eq!(run.late, [(1, 4)]);
    assert_eq!((run.fully, run.partly), (1, 0));
}

#[test]
fn sliding_an_event_that_missed_closed_windows_is_partly_late() {
    let p = stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(sliding(10ms, 5ms), allowed_lateness = 2ms)
        -> aggregate(count())
    };
    // Watermark 17. The event at 12 belongs to [5, 15), closed and past its
    // lateness (15 + 2 <= 17), and to [10, 20), open: it counts in
    // [10, 20), [5, 15) stays as it fired (1), and the event goes to the
    // late output as partly late. The event at 4 belongs to [0, 10) alone,
    // past its lateness: late.
    let run = run(p, &[(1, 3), (1, 7), (1, 17)], &[(1, 12), (1, 4)]);
    assert_eq!(
        run.rows,
        [(1, 0, 10, 2), (1, 5, 15, 1), (1, 10, 20, 2), (1, 15, 25, 1)]
    );
    assert_eq!(run.late, [(1, 12), (1, 4)]);
    assert_eq!((run.fully, run.partly), (1, 1));
}

#[test]
fn sliding_within_the_allowed_lateness_is_on_time() {
    let p = stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(sliding(10ms, 5ms), allowed_lateness = 3ms)
        -> aggregate(count())
    };
    // As above with 1 ms more lateness: [5, 15) is kept until 18 > 17, so
    // the event at 12 updates it (it fires again with 2) and is not late.
    let run = run(p, &[(1, 3), (1, 7), (1, 17)], &[(1, 12)]);
    assert_eq!(
        run.rows,
        [
            (1, 0, 10, 2),
            (1, 5, 15, 1),
            (1, 5, 15, 2),
            (1, 10, 20, 2),
            (1, 15, 25, 1)
        ]
    );
    assert!(run.late.is_empty());
    assert_eq!((run.fully, run.partly), (0, 0));
}

#[test]
fn session_an_event_that_would_merge_into_a_closed_session_is_late() {
    let p = stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(session(10ms))
        -> aggregate(count())
    };
    // Watermark 15 (from key 2): key 1's session [0, 10) fired and is past
    // its lateness (0). The event at 9 is within the gap of that session's
    // last event, so its session is [0, 19), already closed: late, and it
    // starts no session of its own beside [0, 10). The event at 12 is more
    // than the gap after 0: a session of its own, on time.
    let run = run(p, &[(1, 0), (2, 15)], &[(1, 9), (1, 12)]);
    assert_eq!(run.rows, [(1, 0, 10, 1), (1, 12, 22, 1), (2, 15, 25, 1)]);
    assert_eq!(run.late, [(1, 9)]);
    assert_eq!((run.fully, run.partly), (1, 0));
}

#[test]
fn session_a_late_event_bridging_a_closed_and_an_open_session_is_late() {
    let p = stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(session(10ms), allowed_lateness = 1ms)
        -> aggregate(count())
    };
    // Watermark 15: [0, 10) fired and is past its lateness (11 <= 15);
    // [14, 24) is open. The event at 8 would bridge them into one session
    // that has already closed: late, and [14, 24) keeps its one event. The
    // event at 2 is late by its own gap (2 + 10 + 1 <= 15).
    let run = run(p, &[(1, 0), (1, 14), (2, 15)], &[(1, 8), (1, 2)]);
    assert_eq!(run.rows, [(1, 0, 10, 1), (1, 14, 24, 1), (2, 15, 25, 1)]);
    assert_eq!(run.late, [(1, 8), (1, 2)]);
    assert_eq!((run.fully, run.partly), (2, 0));
}
