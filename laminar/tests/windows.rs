//! Windows end to end: `stream!` pipelines with event time, keys, windows
//! and aggregates, run on 2 cores, against results worked out by hand.

use laminar::prelude::*;

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
    let rt = Runtime::builder().cores(2).build(p).expect("runtime");
    let mut input = rt.input();
    input
        .submit_iter([
            bid(1, 5, 1),
            bid(2, 7, 2),
            bid(1, 9, 8),
            bid(1, 3, 12),
            bid(2, 1, 19),
        ])
        .expect("submit");
    drop(input);
    let mut out = Vec::new();
    let report = rt.finish_into(&mut out).expect("finish");
    out.sort_by_key(|w| (w.start, w.key));
    let got: Vec<_> = out
        .iter()
        .map(|w| (w.key, w.start, w.end, w.value))
        .collect();
    assert_eq!(
        got,
        [
            (1, 0, 10, (2, Some(9))),
            (2, 0, 10, (1, Some(7))),
            (1, 10, 20, (1, Some(3))),
            (2, 10, 20, (1, Some(1))),
        ]
    );
    assert_eq!(report.late(), 0);
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
    let rt = Runtime::builder().cores(2).build(p).expect("runtime");
    let mut input = rt.input();
    input
        .submit_iter([bid(1, 1, 1), bid(2, 2, 3), bid(3, 3, 20), bid(4, 4, 6)])
        .expect("submit");
    drop(input);
    let mut out = Vec::new();
    rt.finish_into(&mut out).expect("finish");
    out.sort_by_key(|w| w.start);
    let got: Vec<_> = out.iter().map(|w| (w.start, w.end, w.value)).collect();
    assert_eq!(
        got,
        [
            (1, 11, (3, 7, Some(1), Some(4))),
            (20, 25, (1, 3, Some(3), Some(3)))
        ]
    );
}
