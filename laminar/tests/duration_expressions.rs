//! Durations given as expressions (`tumbling(cfg.window)`, `lateness =
//! LATENESS`) are checked when the runtime is built: an unusable one is a
//! typed `BuildError::Duration` naming the stage, and nothing starts; a
//! usable one runs as its literal does (in the test harness).

use std::time::Duration;

use laminar::prelude::*;
use laminar::testing::Harness;
use laminar::{BuildError, DurationError};

#[derive(Clone, Copy, Debug)]
struct Bid {
    auction: u64,
    at: u64,
}

fn build_error<P: Pipeline>(p: P) -> BuildError {
    match Runtime::builder().cores(1).build(p) {
        Ok(_) => panic!("the runtime was built"),
        Err(e) => e,
    }
}

#[test]
fn a_zero_window_size_is_a_build_error() {
    let size = Duration::ZERO;
    let p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> key_by(|b| b.auction)
        -> window(tumbling(size))
        -> aggregate(count())
    };
    let e = build_error(p);
    assert!(
        matches!(
            e,
            BuildError::Duration {
                stage: "window(tumbling(size))",
                what: DurationError::Zero {
                    what: "size",
                    given: Duration::ZERO
                },
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "in `window(tumbling(size))`: size must be at least 1 ms, but is 0ns"
    );
}

#[test]
fn a_slide_larger_than_the_size_is_a_build_error() {
    struct Cfg {
        size: Duration,
        slide: Duration,
    }
    let cfg = Cfg {
        size: Duration::from_secs(2),
        slide: Duration::from_secs(10),
    };
    let p = stream! {
        Bid
        -> processing_time()
        -> window_all(sliding(cfg.size, cfg.slide))
        -> aggregate(count())
    };
    let e = build_error(p);
    assert!(
        matches!(
            e,
            BuildError::Duration {
                stage: "window_all(sliding(cfg.size, cfg.slide))",
                what: DurationError::SlideExceedsSize {
                    size: 2_000,
                    slide: 10_000
                },
            }
        ),
        "{e:?}"
    );
    // A literal beside an expression is checked against it too.
    let p = stream! {
        Bid
        -> processing_time()
        -> window_all(sliding(1s, cfg.size))
        -> aggregate(count())
    };
    assert!(matches!(
        build_error(p),
        BuildError::Duration {
            what: DurationError::SlideExceedsSize {
                size: 1_000,
                slide: 2_000
            },
            ..
        }
    ));
}

#[test]
fn a_zero_idle_timeout_is_a_build_error_and_zero_lateness_is_fine() {
    const LATENESS: Duration = Duration::ZERO;
    let idle = Duration::from_micros(300);
    let p = stream! {
        Bid
        -> event_time(|b| b.at, lateness = LATENESS, idle = idle)
        -> key_by(|b| b.auction)
        -> window(session(5s))
        -> aggregate(count())
    };
    assert!(matches!(
        build_error(p),
        BuildError::Duration {
            what: DurationError::Zero { what: "idle", .. },
            ..
        }
    ));
}

#[test]
fn expression_durations_run_as_their_literals_do() {
    const LATENESS: Duration = Duration::from_millis(0);
    let window = Duration::from_millis(10);
    let p = stream! {
        Bid
        -> event_time(|b| b.at, lateness = LATENESS)
        -> key_by(|b| b.auction)
        -> window(tumbling(window), allowed_lateness = Duration::ZERO)
        -> aggregate(count())
    };
    let mut h = Harness::new(p).expect("harness");
    h.push_all([(1, 1), (1, 9), (2, 4), (1, 10), (2, 25)].map(|(auction, at)| Bid { auction, at }));
    // Lateness 0: the watermark is the highest time, 25.
    assert_eq!(h.emit_watermark(), Some(25));
    h.end_input();
    let mut got: Vec<_> = h
        .take_output()
        .iter()
        .map(|w| (w.key, w.start, w.end, w.value))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [(1, 0, 10, 2), (1, 10, 20, 1), (2, 0, 10, 1), (2, 20, 30, 1)]
    );
}
