//! Windows: `stream!` pipelines with event time, keys, windows and
//! aggregates, against results worked out by hand; in the test harness,
//! step by step, and end to end on 2 cores for the late output.

use laminar::prelude::*;
use laminar::testing::Harness;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Bid {
    auction: u64,
    price: u64,
    at: u64,
}

fn bid(auction: u64, price: u64, at: u64) -> Bid {
    Bid { auction, price, at }
}

#[test]
fn tumbling_max_per_key() {
    let p = stream! {
        Bid
        -> event_time(|b| b.at, lateness = 0ms)
        -> key_by(|b| b.auction)
        -> window(tumbling(10ms))
        -> aggregate(count(), max(|b| b.price))
    };
    let mut h = Harness::new(p).expect("harness");
    h.push_all([bid(1, 5, 1), bid(2, 7, 2), bid(1, 9, 8)]);
    assert_eq!(h.emit_watermark(), Some(8));
    assert!(h.take_output().is_empty(), "[0, 10) is open at 8");
    h.push_all([bid(1, 3, 12), bid(2, 1, 19)]);
    h.emit_watermark();
    let mut first: Vec<_> = h
        .take_output()
        .iter()
        .map(|w| (w.key, w.start, w.end, w.value))
        .collect();
    first.sort();
    assert_eq!(first, [(1, 0, 10, (2, Some(9))), (2, 0, 10, (1, Some(7)))]);
    h.end_input();
    let mut rest: Vec<_> = h
        .take_output()
        .iter()
        .map(|w| (w.key, w.start, w.end, w.value))
        .collect();
    rest.sort();
    assert_eq!(rest, [(1, 10, 20, (1, Some(3))), (2, 10, 20, (1, Some(1)))]);
    assert_eq!(h.counts().late, 0);
}

#[test]
fn late_events_reach_the_late_output_counted() {
    let p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> key_by(|b| b.auction)
        -> window(tumbling(10ms), allowed_lateness = 5ms)
        -> aggregate(count())
    };
    let rt = Runtime::builder().cores(2).build(p).expect("runtime");
    let mut input = rt.input();
    input
        .submit_iter([bid(1, 0, 1), bid(1, 0, 30)])
        .expect("submit");
    // The watermark is now 30: window [0, 10) closed and is past its
    // lateness (10 + 5 <= 30), so this one is late.
    input.submit(bid(1, 0, 2)).expect("submit");
    drop(input);
    let mut out = Vec::new();
    let mut late = Vec::new();
    let report = rt.finish_with_late(&mut out, &mut late).expect("finish");
    assert_eq!(late, [bid(1, 0, 2)]);
    assert_eq!(report.late(), 1);
    out.sort_by_key(|w| w.start);
    assert_eq!(
        out.iter().map(|w| (w.start, w.value)).collect::<Vec<_>>(),
        [(0, 1), (30, 1)]
    );
}

#[test]
fn sessions_and_window_all() {
    let p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> window_all(session(5ms))
        -> aggregate(count(), sum(|b| b.price), first(|b| b.price), last(|b| b.price))
    };
    let mut h = Harness::new(p).expect("harness");
    h.push_all([bid(1, 1, 1), bid(2, 2, 3), bid(3, 3, 20)]);
    // Watermark 20: the session [1, 8) has ended.
    h.emit_watermark();
    let got: Vec<_> = h
        .take_output()
        .iter()
        .map(|w| (w.start, w.end, w.value))
        .collect();
    assert_eq!(got, [(1, 8, (2, 3, Some(1), Some(2)))]);
    // Within its allowed lateness (0) no more: the bid at 6 would extend a
    // closed session, so it is late.
    h.push(bid(4, 4, 6));
    assert_eq!(h.take_late(), [bid(4, 4, 6)]);
    h.end_input();
    let got: Vec<_> = h
        .take_output()
        .iter()
        .map(|w| (w.start, w.end, w.value))
        .collect();
    assert_eq!(got, [(20, 25, (1, 3, Some(3), Some(3)))]);
}

#[test]
fn a_session_grows_with_an_event_in_its_gap() {
    let p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> window_all(session(5ms))
        -> aggregate(count(), sum(|b| b.price), first(|b| b.price), last(|b| b.price))
    };
    // With no watermark until the end, as in one `submit_iter`, the bid at
    // 6 is on time: it extends [1, 8) to [1, 11).
    let mut h = Harness::new(p).expect("harness");
    h.push_all([bid(1, 1, 1), bid(2, 2, 3), bid(3, 3, 20), bid(4, 4, 6)]);
    h.end_input();
    let got: Vec<_> = h
        .take_output()
        .iter()
        .map(|w| (w.start, w.end, w.value))
        .collect();
    assert_eq!(
        got,
        [
            (1, 11, (3, 7, Some(1), Some(4))),
            (20, 25, (1, 3, Some(3), Some(3)))
        ]
    );
}

#[test]
fn processing_time_windows_run_on_the_wall_clock_in_the_runtime() {
    let p = stream! {
        u64
        -> processing_time()
        -> window_all(tumbling(1h))
        -> aggregate(count())
    };
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis() as u64
    };
    let before = now();
    let rt = Runtime::builder().cores(2).build(p).expect("runtime");
    rt.input().submit_iter([1, 2, 3]).expect("submit");
    let mut out = Vec::new();
    rt.finish_into(&mut out).expect("finish");
    let after = now();
    // One window or two (if the hour turned while the events went in),
    // holding the three events, around the wall clock's time.
    assert_eq!(out.iter().map(|w| w.value).sum::<u64>(), 3);
    for w in &out {
        assert!(
            w.start <= after && w.end > before,
            "{w:?} vs [{before}, {after}]"
        );
    }
}
