//! The test harness itself (`laminar::testing`): it runs the runtime's
//! chain, sends watermarks only when asked, moves processing time only by
//! hand, and gives what the runtime gives.

use std::time::Duration;

use laminar::prelude::*;
use laminar::testing::Harness;
use laminar::{BuildError, StateError, StoreChoice};

/// (key, timestamp in ms)
type Ev = (u64, u64);

fn counts_per_window() -> impl Pipeline<In = Ev, Out = Windowed<u64, u64>> {
    stream! {
        Ev
        -> event_time(|e| e.1, lateness = 5ms)
        -> key_by(|e| e.0)
        -> window(tumbling(10ms))
        -> aggregate(count())
    }
}

fn rows(out: Vec<Windowed<u64, u64>>) -> Vec<(u64, u64, u64, u64)> {
    let mut rows: Vec<_> = out
        .into_iter()
        .map(|w| (w.key, w.start, w.end, w.value))
        .collect();
    rows.sort_unstable();
    rows
}

#[test]
fn no_watermark_is_sent_unless_asked() {
    let mut h = Harness::new(counts_per_window()).expect("harness");
    // An input handle would have sent watermarks many times over.
    h.push_all((0..1_000).map(|t| (1, t)));
    assert!(h.take_output().is_empty());
    assert_eq!(h.watermark(), 0);
    assert_eq!(h.counts().watermarks, 0);
    // The one it would send now: 999 - 5.
    assert_eq!(h.emit_watermark(), Some(994));
    assert_eq!(h.take_output().len(), 99, "[0, 10) to [980, 990)");
    assert_eq!(h.counts().events_in, 1_000);
}

#[test]
fn the_watermark_from_events_uses_the_pipelines_extractor_and_lateness() {
    let mut h = Harness::new(counts_per_window()).expect("harness");
    assert_eq!(h.emit_watermark(), None, "no event yet");
    h.push_all([(1, 3), (1, 17), (1, 12)]);
    // The highest timestamp, not the last one.
    assert_eq!(h.emit_watermark(), Some(12));
    assert_eq!(rows(h.take_output()), [(1, 0, 10, 1)]);
    // By hand, further than the events say.
    h.advance_watermark(30);
    assert_eq!(rows(h.take_output()), [(1, 10, 20, 2)]);
    // Never back: the events still say 12.
    assert_eq!(h.emit_watermark(), Some(12));
    assert_eq!(h.watermark(), 30);
    h.advance_watermark(20);
    assert_eq!(h.watermark(), 30);
    assert_eq!(h.counts().watermarks, 2);
}

#[test]
fn a_pipeline_without_event_time_has_no_watermark_from_events() {
    let p = stream! { u64 -> map(|x| x + 1) };
    let mut h = Harness::new(p).expect("harness");
    h.push_all([1, 2]);
    assert_eq!(h.emit_watermark(), None);
    assert_eq!(h.take_output(), [2, 3]);
}

#[test]
fn late_events_come_back_in_order_and_counted() {
    let p = stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(sliding(10ms, 5ms))
        -> aggregate(count())
    };
    let mut h = Harness::new(p).expect("harness");
    h.push_all([(1, 1), (2, 16)]);
    h.emit_watermark();
    // 3 is in [0, 10) alone (final): late. 12 is in [5, 15) (final) and
    // [10, 20) (open): partly late.
    h.push_all([(1, 3), (1, 12)]);
    assert_eq!(h.late(), [(1, 3), (1, 12)]);
    assert_eq!(h.take_late(), [(1, 3), (1, 12)]);
    assert!(h.take_late().is_empty(), "taken once");
    let counts = h.counts();
    assert_eq!((counts.late, counts.partly_late), (1, 1));
}

#[test]
fn processing_time_windows_follow_the_clock_moved_by_hand() {
    let p = stream! {
        u64
        -> processing_time()
        -> key_by(|x| *x % 2)
        -> window(tumbling(1s))
        -> aggregate(count())
    };
    let mut h = Harness::new(p).expect("harness");
    assert_eq!(h.processing_time(), 0);
    h.set_processing_time(999);
    h.push_all([1, 2, 3]);
    // Each event has the time it was pushed at.
    h.set_processing_time(1_000);
    assert_eq!(rows(h.take_output()), [(0, 0, 1_000, 1), (1, 0, 1_000, 2)]);
    assert_eq!(h.watermark(), 1_000, "the watermark follows the clock");
    h.push(5);
    h.advance_processing_time(Duration::from_millis(999));
    assert!(h.take_output().is_empty(), "[1000, 2000) is open at 1999");
    h.advance_processing_time(Duration::from_millis(1));
    assert_eq!(rows(h.take_output()), [(1, 1_000, 2_000, 1)]);
    assert_eq!(h.processing_time(), 2_000);
}

#[test]
fn processing_time_timers_fire_as_the_clock_moves() {
    // Each event carries the processing time at which its key is to be
    // reported (a deadline); the key's first event sets the timer.
    let p = stream! {
        (u64, u64)
        -> processing_time()
        -> key_by(|e| e.0)
        -> process(
            |_key, e, state, out| {
                if state.is_none() {
                    out.set_timer(e.1);
                }
                *state = Some(state.unwrap_or(0u32) + 1);
            },
            on_timer = |key, at, state, out| {
                out.emit((*key, at, state.take().unwrap_or(0)));
            }
        )
    };
    let mut h = Harness::new(p).expect("harness");
    h.push_all([(1, 100), (1, 150), (2, 300)]);
    h.set_processing_time(99);
    assert!(h.take_output().is_empty());
    h.set_processing_time(200);
    assert_eq!(h.take_output(), [(1, 100, 2)]);
    h.advance_processing_time(Duration::from_millis(100));
    assert_eq!(h.take_output(), [(2, 300, 1)]);
    h.end_input();
    assert!(h.take_output().is_empty());
    assert!(h.is_ended());
}

#[test]
fn a_process_timer_set_from_the_processing_clock_fires_when_the_test_moves_it() {
    // Each key reported 30 s of processing time after its first event.
    let p = stream! {
        u64
        -> processing_time()
        -> key_by(|e| *e)
        -> process(
            |_key, _e, state, out| {
                if state.is_none() {
                    out.set_timer(out.processing_time() + 30_000);
                }
                *state = Some(state.unwrap_or(0u32) + 1);
            },
            on_timer = |key, at, state, out| {
                out.emit((*key, at, out.watermark(), state.take().unwrap_or(0)));
            }
        )
    };
    let mut h = Harness::new(p).expect("harness");
    h.set_processing_time(1_000);
    h.push_all([7, 7]);
    h.advance_processing_time(Duration::from_secs(10));
    h.push(8);
    h.advance_processing_time(Duration::from_secs(20));
    assert_eq!(h.take_output(), [(7, 31_000, 31_000, 2)]);
    h.advance_processing_time(Duration::from_secs(10));
    assert_eq!(h.take_output(), [(8, 41_000, 41_000, 1)]);
}

#[test]
#[should_panic(expected = "processing time")]
fn a_processing_time_pipeline_refuses_a_watermark_by_hand() {
    let p = stream! {
        u64
        -> processing_time()
        -> window_all(tumbling(1s))
        -> aggregate(count())
    };
    let mut h = Harness::new(p).expect("harness");
    h.advance_watermark(5);
}

#[test]
#[should_panic(expected = "the input has ended")]
fn nothing_is_pushed_after_the_end_of_input() {
    let mut h = Harness::new(counts_per_window()).expect("harness");
    h.end_input();
    h.push((1, 1));
}

#[test]
fn an_unusable_duration_is_a_build_error_as_in_the_runtime() {
    let size = Duration::ZERO;
    let p = stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(tumbling(size))
        -> aggregate(count())
    };
    assert!(matches!(
        Harness::new(p),
        Err(BuildError::Duration {
            stage: "window(tumbling(size))",
            ..
        })
    ));
}

#[test]
fn a_store_that_cannot_open_is_a_build_error_naming_core_0() {
    let file = std::env::temp_dir().join(format!("laminar-harness-{}", std::process::id()));
    std::fs::write(&file, b"not a directory").expect("temp file");
    let p = stream! {
        Ev
        -> key_by(|e| e.0)
        -> fold(0u64, |n, _e| n + 1)
    };
    let result = Harness::with_store(p, StoreChoice::Mmap(file.clone()));
    let _ = std::fs::remove_file(&file);
    assert!(
        matches!(result, Err(BuildError::State { core: Some(0), .. })),
        "{result:?}"
    );
}

#[test]
fn state_in_a_directory_is_kept_between_harnesses() {
    let dir = std::env::temp_dir().join(format!("laminar-harness-dir-{}", std::process::id()));
    let p = || {
        stream! {
            Ev
            -> key_by(|e| e.0)
            -> fold(0u64, |n, e| n + e.1)
        }
    };
    let mut h = Harness::with_store(p(), StoreChoice::Mmap(dir.clone())).expect("harness");
    h.push_all([(1, 10), (1, 5)]);
    h.end_input();
    assert_eq!(h.take_output(), [(1, 10), (1, 15)]);
    drop(h);
    let mut h = Harness::with_store(p(), StoreChoice::Mmap(dir.clone())).expect("harness");
    h.push((1, 1));
    assert_eq!(h.take_output(), [(1, 16)]);
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A hand-written pipeline whose operator fails on the event `0`, as a
/// store that cannot write does.
mod failing {
    use laminar::{Emit, Operator, Pipeline, RoundRobin, StateError};

    pub struct FailOnZero;

    impl Operator for FailOnZero {
        type In = u64;
        type Out = u64;
        fn on_event<E: Emit<u64>>(&mut self, e: u64, out: &mut E) {
            if e == 0 {
                out.fail(StateError::Codec("zero is not allowed".into()));
            } else {
                out.emit(e);
            }
        }
    }

    pub struct P;

    impl Pipeline for P {
        type In = u64;
        type Out = u64;
        type Op = FailOnZero;
        type Route = RoundRobin;
        fn route(&self) -> RoundRobin {
            RoundRobin::default()
        }
        fn instantiate(&self, _core: usize) -> FailOnZero {
            FailOnZero
        }
    }
}

#[test]
fn a_stage_failure_is_kept_and_stops_the_harness() {
    let mut h = Harness::new(failing::P).expect("harness");
    h.push_all([1, 0]);
    assert_eq!(h.take_output(), [1]);
    assert!(matches!(h.failure(), Some(StateError::Codec(_))));
    let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.push(2)));
    let message = again.expect_err("a push after a failure panics");
    let message = message
        .downcast_ref::<String>()
        .expect("a formatted message");
    assert!(message.contains("zero is not allowed"), "{message}");
}

#[test]
fn it_gives_what_the_runtime_gives() {
    // Bursty keyed events with disorder within the lateness: no event is
    // late on either side, so the results are the same multiset however
    // often watermarks were sent.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let events: Vec<Ev> = (0..5_000u64)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 13, (i * 3).saturating_sub(x % 5))
        })
        .collect();
    let p = || {
        stream! {
            Ev
            -> event_time(|e| e.1, lateness = 5ms)
            -> key_by(|e| e.0)
            -> window(sliding(40ms, 10ms))
            -> aggregate(count(), sum(|e| e.1))
        }
    };
    let rt = Runtime::builder().cores(2).build(p()).expect("runtime");
    rt.input()
        .submit_iter(events.iter().copied())
        .expect("submit");
    let mut from_runtime = Vec::new();
    let report = rt.finish_into(&mut from_runtime).expect("finish");
    assert_eq!(report.late() + report.partly_late(), 0);

    let mut h = Harness::new(p()).expect("harness");
    for chunk in events.chunks(100) {
        h.push_all(chunk.iter().copied());
        h.emit_watermark();
    }
    h.end_input();
    assert_eq!(h.counts().late + h.counts().partly_late, 0);
    let key = |w: &Windowed<u64, (u64, u64)>| (w.key, w.start, w.end, w.value);
    let mut from_harness: Vec<_> = h.take_output().iter().map(key).collect();
    let mut from_runtime: Vec<_> = from_runtime.iter().map(key).collect();
    from_harness.sort_unstable();
    from_runtime.sort_unstable();
    assert_eq!(from_harness.len(), from_runtime.len());
    assert!(from_harness == from_runtime);
    assert_eq!(h.counts().events_out, from_runtime.len() as u64);
}

#[test]
fn debug_shows_where_it_stands() {
    let mut h = Harness::new(counts_per_window()).expect("harness");
    h.push((1, 20));
    h.emit_watermark();
    let shown = format!("{h:?}");
    assert!(shown.contains("watermark: 15"), "{shown}");
    assert!(h.describe().starts_with("flowchart"));
}
