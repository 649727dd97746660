//! A panic in user code during `submit_iter`: in the iterator, in the
//! `key_by` closure, or in the `event_time` closure. Each unwinds out of the
//! call; afterwards the same handle submits again, the runtime finishes, and
//! every event queued before the panic is processed. (Each of these spun
//! forever: the handle kept its channels marked busy.)

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use common::within;
use laminar::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Ev {
    key: u64,
    ts: u64,
}

const BAD_KEY: u64 = 666;
const BAD_TS: u64 = 7_777_777;

/// Submits 100 good events, then `bad` (or panics in the iterator when
/// `bad` is `None`), then 100 more good ones in a second call; returns the
/// keys that came out, sorted, and the report.
fn run(bad: Option<Ev>, cores: usize) -> (Vec<u64>, Report) {
    let p = stream! {
        Ev
        -> event_time(|e| { assert_ne!(e.ts, BAD_TS, "a bad timestamp"); e.ts })
        -> key_by(|e| { assert_ne!(e.key, BAD_KEY, "a bad key"); e.key })
        -> map(|e| e.key)
    };
    let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
    let mut input = rt.input();
    let good = |k: u64| Ev { key: k, ts: k };
    let first = (0..100).map(good).chain((0..1).map(move |_| match bad {
        Some(ev) => ev,
        None => panic!("the iterator panicked"),
    }));
    let unwound = catch_unwind(AssertUnwindSafe(|| input.submit_iter(first)));
    assert!(unwound.is_err(), "the user's panic must reach the caller");
    // The handle is still usable, and so is the runtime.
    assert_eq!(input.submit(good(100)).expect("submit"), Admission::Queued);
    let n = input
        .submit_iter((101..200).map(good))
        .expect("submit_iter");
    assert_eq!(n.queued, 99);
    drop(input);
    let mut out = Vec::new();
    let report = rt.finish_into(&mut out).expect("finish");
    out.sort_unstable();
    (out, report)
}

fn check(bad: Option<Ev>) {
    for cores in [1, 2] {
        let (out, report) = within(60, "submit_iter", move || run(bad, cores));
        assert_eq!(out, (0..200).collect::<Vec<u64>>(), "{cores} cores");
        assert_eq!(report.events_in(), 200);
        assert_eq!(report.submitted(), 200);
    }
}

#[test]
fn a_panicking_iterator_leaves_the_handle_usable() {
    check(None);
}

#[test]
fn a_panicking_key_by_closure_leaves_the_handle_usable() {
    check(Some(Ev {
        key: BAD_KEY,
        ts: 50,
    }));
}

#[test]
fn a_panicking_event_time_closure_leaves_the_handle_usable() {
    check(Some(Ev { key: 5, ts: BAD_TS }));
}
