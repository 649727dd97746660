//! `Runtime::progress` shows a run while it goes: a source that stops
//! after 10,000 events (and waits) is seen at 10,000 events in before it
//! goes on, and the final figures match the report.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::within;
use laminar::prelude::*;
use laminar::source::{self, Read, Split};

/// `0..20_000`, pausing (idle) after 10,000 until `go` is set.
struct Gated {
    next: u64,
    go: Arc<AtomicBool>,
}

impl Split<u64> for Gated {
    fn read(&mut self, buf: &mut Vec<u64>, max: usize) -> Read {
        if self.next == 10_000 && !self.go.load(Ordering::SeqCst) {
            return Read::Idle;
        }
        let end = if self.next < 10_000 { 10_000 } else { 20_000 };
        let take = (end - self.next).min(max as u64);
        buf.extend(self.next..self.next + take);
        self.next += take;
        if self.next == 20_000 {
            Read::End
        } else {
            Read::More
        }
    }
}

#[test]
fn progress_is_seen_while_the_run_goes_and_ends_at_the_report() {
    let (seen, report, last) = within(60, "progress", || {
        let pipeline = stream! {
            u64
            -> event_time(|x| *x)
            -> map(|x| x * 2)
        };
        let rt = Runtime::builder().cores(1).build(pipeline).unwrap();
        let go = Arc::new(AtomicBool::new(false));
        rt.attach(source::from_splits(vec![Gated {
            next: 0,
            go: go.clone(),
        }]));
        // The core publishes every few dozen passes; an idle core passes
        // often enough.
        let seen = loop {
            let p = rt.progress();
            if p.events_in == 10_000 {
                break p;
            }
            assert!(p.events_in < 10_000, "{p}");
            std::thread::sleep(Duration::from_millis(1));
        };
        go.store(true, Ordering::SeqCst);
        while !rt.sources_done() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut out = Vec::new();
        let report = rt.finish_into(&mut out).unwrap();
        (seen, report, out.len())
    });
    assert_eq!((seen.read, seen.events_out), (10_000, 10_000));
    assert_eq!(seen.watermark, Some(9_999));
    assert!(seen.to_string().starts_with("0.0 M events in"), "{seen}");
    assert_eq!(report.events_in(), 20_000);
    assert_eq!(last, 20_000);
}
