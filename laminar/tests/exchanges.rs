//! Exchanges in mid-pipeline: every record arrives exactly once, counted,
//! whatever the skew, ring sizes and core count, through three exchanges
//! in a row, with events entering through a source inside the cores and
//! through input handles. A deadlock would hang the run: each run is
//! bounded by `within`.

mod common;

use std::sync::Arc;

use common::within;
use laminar::prelude::*;
use laminar::{Report, source};

/// Three exchanges after the ingress `key_by`: onto 3 keys, onto one key
/// for 90 % of the records (skew), then spread by sequence number; keyed
/// state between two of them. Every record comes out once, as its
/// sequence number.
fn three_exchanges() -> impl Pipeline<In = (u64, u64), Out = u64> {
    stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> map(|e| (e.1 % 3, e.1))
        -> key_by(|e| e.0)
        -> map(|e| (if e.1 % 10 == 9 { e.1 } else { 0 }, e.1))
        -> key_by(|e| e.0)
        -> process(|_key, e, seen: &mut Option<u64>, out| {
            *seen = Some(seen.unwrap_or(0) + 1);
            out.emit(e);
        })
        -> key_by(|e| e.1)
        -> map(|e| e.1)
    }
}

fn records(n: u64) -> Vec<(u64, u64)> {
    (0..n).map(|seq| (seq % 7, seq)).collect()
}

/// Checks that the run gave every sequence number once, and that the
/// report's counts add up.
fn check(mut out: Vec<u64>, report: &Report, n: u64, what: &str) {
    out.sort_unstable();
    assert_eq!(out.len() as u64, n, "{what}: every record came out");
    assert!(out.iter().copied().eq(0..n), "{what}: each once");
    assert_eq!(report.events_in(), n, "{what}: every record went in");
    let sent: u64 = report.cores.iter().map(|c| c.shuffled_out).sum();
    let received: u64 = report.cores.iter().map(|c| c.shuffled_in).sum();
    assert_eq!(sent, received, "{what}: what left a core arrived");
    if report.cores.len() > 1 {
        assert!(sent > n, "{what}: records crossed the exchanges");
    } else {
        assert_eq!(sent, 0, "{what}: one core keeps everything local");
    }
}

#[test]
fn every_record_crosses_three_exchanges_once_from_a_source() {
    let n = 50_000;
    let input: Arc<[(u64, u64)]> = records(n).into();
    for cores in [1, 2, 4] {
        for ring in [2, 4, 64] {
            let what = format!("source, {cores} cores, rings of {ring}");
            let input = input.clone();
            let (out, report) = within(60, &what.clone(), move || {
                let mut rt = Runtime::builder()
                    .cores(cores)
                    .queue_capacity(ring)
                    .build(three_exchanges())
                    .expect("runtime");
                rt.attach(source::from_slice(input));
                let mut out = Vec::new();
                while !rt.sources_done() {
                    rt.drain(&mut out);
                    std::thread::yield_now();
                }
                let report = rt.finish_into(&mut out).expect("finish");
                (out, report)
            });
            check(out, &report, n, &what);
        }
    }
}

#[test]
fn every_record_crosses_three_exchanges_once_from_two_handles() {
    let n = 40_000;
    let all = records(n);
    for cores in [1, 2, 4] {
        for ring in [2, 4, 64] {
            let what = format!("handles, {cores} cores, rings of {ring}");
            let all = all.clone();
            let (out, report) = within(60, &what.clone(), move || {
                let mut rt = Runtime::builder()
                    .cores(cores)
                    .queue_capacity(ring)
                    .build(three_exchanges())
                    .expect("runtime");
                let (a, b) = all.split_at(all.len() / 2);
                let (a, b) = (a.to_vec(), b.to_vec());
                let mut ia = rt.input();
                let mut ib = rt.input();
                let ta = std::thread::spawn(move || ia.submit_iter(a).expect("submit"));
                let tb = std::thread::spawn(move || {
                    for e in b {
                        ib.submit(e).expect("submit");
                    }
                });
                let mut out = Vec::new();
                while !(ta.is_finished() && tb.is_finished()) {
                    rt.drain(&mut out);
                    std::thread::yield_now();
                }
                ta.join().expect("handle a");
                tb.join().expect("handle b");
                let report = rt.finish_into(&mut out).expect("finish");
                (out, report)
            });
            check(out, &report, n, &what);
        }
    }
}

/// One core's split ends long before the other's, and the caller waits for
/// the sources before it finishes. The other cores' sources align with the
/// streams into their exchanges only from cores still reading: before that
/// rule, they waited for ever on the core whose split had ended (whose
/// stream cannot end before `finish`, since a handle may still come), and
/// the run hung.
#[test]
fn a_core_whose_split_ended_does_not_stop_the_others() {
    let windowed = || {
        stream! {
            (u64, u64)
            -> event_time(|e| e.1, lateness = 10ms)
            -> map(|e| (e.0 % 5, e.1))
            -> key_by(|e| e.0)
            -> window(tumbling(100ms))
            -> aggregate(count())
        }
    };
    for cores in [2, 4] {
        let what = format!("uneven splits, {cores} cores");
        let (total, report) = within(60, &what.clone(), move || {
            let mut rt = Runtime::builder()
                .cores(cores)
                .build(windowed())
                .expect("runtime");
            // Core 0 has 10 records, every other core 20,000, all in time
            // order over a span far longer than the source skew allowed.
            let splits: Vec<_> = (0..cores as u64)
                .map(|c| {
                    let n = if c == 0 { 10 } else { 20_000 };
                    source::iter((0..n).map(move |i| (i, i * 2)))
                })
                .collect();
            rt.attach(source::from_splits(splits));
            // As a service does: wait for the sources, then finish.
            let mut out = Vec::new();
            while !rt.sources_done() {
                rt.drain(&mut out);
                std::thread::yield_now();
            }
            let report = rt.finish_into(&mut out).expect("finish");
            (out.iter().map(|w| w.value).sum::<u64>(), report)
        });
        assert_eq!(
            total,
            10 + 20_000 * (cores as u64 - 1),
            "{what}: every record counted"
        );
        assert_eq!(report.late(), 0, "{what}");
    }
}

/// A panic in a stage after an exchange, on one core: that core fails,
/// the others stop instead of waiting for its end, and `finish` returns
/// the panic with the report, every record read counted.
#[test]
fn a_panic_after_an_exchange_fails_the_run_without_a_hang() {
    for cores in [2, 4] {
        let what = format!("panic after an exchange, {cores} cores");
        let err = within(60, &what.clone(), move || {
            let p = stream! {
                (u64, u64)
                -> map(|e| (e.1 % 11, e.1))
                -> key_by(|e| e.0)
                -> inspect(|e| assert!(e.1 != 30_000, "record 30000 is poison"))
                -> map(|e| e.1)
            };
            let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
            let input: Arc<[(u64, u64)]> = records(50_000).into();
            rt.attach(source::from_slice(input));
            let mut out = Vec::new();
            rt.finish_into(&mut out).expect_err("the run fails")
        });
        let laminar::RuntimeError::CorePanicked {
            message, report, ..
        } = &err
        else {
            panic!("{what}: {err}");
        };
        assert!(message.contains("poison"), "{what}: {message}");
        assert!(report.read() <= 50_000, "{what}");
        // What left a core and did not arrive was in flight between cores
        // when the run stopped: the report shows it.
        let sent: u64 = report.cores.iter().map(|c| c.shuffled_out).sum();
        let received: u64 = report.cores.iter().map(|c| c.shuffled_in).sum();
        assert!(received <= sent, "{what}");
    }
}

/// A split that never has anything: a live source with no traffic.
enum Part {
    Data(std::vec::IntoIter<(u64, u64)>),
    Silent,
}

impl laminar::source::Split<(u64, u64)> for Part {
    fn read(&mut self, buf: &mut Vec<(u64, u64)>, max: usize) -> laminar::source::Read {
        match self {
            Part::Data(it) => {
                buf.extend(it.by_ref().take(max));
                if it.len() == 0 {
                    laminar::source::Read::End
                } else {
                    laminar::source::Read::More
                }
            }
            Part::Silent => laminar::source::Read::Idle,
        }
    }
}

/// One core's source is live but silent. With `idle = ..`, its channels
/// into the exchange go idle after the timeout, as a silent input does,
/// and its own stream into the exchange too: the windows after the
/// exchange fire on the other cores' time instead of waiting for the
/// silent core for ever.
#[test]
fn a_silent_core_does_not_hold_the_time_after_an_exchange() {
    for cores in [2, 4] {
        let what = format!("one silent split, {cores} cores");
        let fired = within(60, &what.clone(), move || {
            let mut rt = Runtime::builder()
                .cores(cores)
                .build(stream! {
                    (u64, u64)
                    -> event_time(|e| e.1, lateness = 10ms, idle = 50ms)
                    -> map(|e| (e.0 % 7, e.1))
                    -> key_by(|e| e.0)
                    -> window(tumbling(100ms))
                    -> aggregate(count())
                })
                .expect("runtime");
            let splits: Vec<Part> = (0..cores)
                .map(|c| {
                    if c == 1 {
                        Part::Silent
                    } else {
                        Part::Data(
                            (0..5_000u64)
                                .map(|i| (i, i))
                                .collect::<Vec<_>>()
                                .into_iter(),
                        )
                    }
                })
                .collect();
            rt.attach(laminar::source::from_splits(splits));
            // The silent split never ends: results must come while it
            // lives, from the other cores' time alone.
            let mut out = Vec::new();
            let started = std::time::Instant::now();
            while out.is_empty() && started.elapsed() < std::time::Duration::from_secs(10) {
                rt.drain(&mut out);
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            out.len()
        });
        assert!(fired > 0, "{what}: windows after the exchange fired");
    }
}
