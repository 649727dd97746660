//! The runtime's report, as counted and as printed: what the Nexmark
//! examples showed wrong in it, one test per bug.

use laminar::prelude::*;

/// 1 000 timestamped events (a watermark every 64) on 2 cores.
fn report() -> Report {
    let p = stream! {
        u64
        -> event_time(|t| *t)
        -> key_by(|t| *t % 7)
        -> window(tumbling(10ms))
        -> aggregate(count())
    };
    let rt = Runtime::builder().cores(2).build(p).expect("runtime");
    rt.input().submit_iter(0..1_000).expect("submit");
    let mut out = Vec::new();
    rt.finish_into(&mut out).expect("finish")
}

#[test]
fn submitted_counts_events_not_watermarks() {
    let report = report();
    assert_eq!(report.events_in(), 1_000);
    assert_eq!(report.dropped(), 0);
    assert_eq!(report.submitted(), report.events_in());
}

#[test]
fn the_printed_table_has_a_late_column() {
    let text = report().to_string();
    let header = text.lines().next().expect("a header line");
    assert!(header.contains("late"), "header: {header:?}");
}
