//! Sources inside the cores: every event read is processed exactly once, on
//! the core that owns its key, whatever the skew, ring sizes and core
//! count; exchanges never deadlock; sources and input handles mix; a
//! panicking split fails the run with every event accounted for; a runtime
//! dropped unfinished stops an endless source.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::within;
use laminar::prelude::*;
use laminar::source::{self, Read, Split};
use laminar::{Report, RuntimeError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Ev {
    key: u64,
    seq: u64,
}

/// Sums `seq` per key: each key lives on one core, so its total is only
/// right if every event of the key reached that core exactly once.
fn per_key_sum() -> impl Pipeline<In = Ev, Out = (u64, u64)> {
    stream! {
        Ev
        -> key_by(|e| e.key)
        -> fold(0u64, |sum, e| sum + e.seq)
    }
}

/// `n` events, 90 % of them on key 0, the rest over 1000 keys.
fn skewed(n: u64) -> Vec<Ev> {
    (0..n)
        .map(|seq| Ev {
            key: if seq % 10 == 9 { 1 + seq % 1000 } else { 0 },
            seq,
        })
        .collect()
}

fn expected(events: &[Ev]) -> BTreeMap<u64, u64> {
    let mut sums = BTreeMap::new();
    for e in events {
        *sums.entry(e.key).or_insert(0) += e.seq;
    }
    sums
}

/// The last value emitted per key (the fold emits its running sum).
fn last_per_key(out: &[(u64, u64)]) -> BTreeMap<u64, u64> {
    out.iter().copied().collect()
}

fn assert_accounted(report: &Report) {
    for c in &report.cores {
        assert_eq!(
            c.submitted + c.read - c.sent + c.received,
            c.events_in + c.abandoned,
            "core {}: every event that came is consumed or abandoned",
            c.core
        );
    }
    let sent: u64 = report.cores.iter().map(|c| c.sent).sum();
    let received: u64 = report.cores.iter().map(|c| c.received).sum();
    assert_eq!(sent, received);
}

#[test]
fn skewed_keys_tiny_rings_every_core_count_every_event_once() {
    let events: Arc<[Ev]> = skewed(60_000).into();
    let want = expected(&events);
    for cores in [1, 2, 4] {
        for queue in [2, 4, 64] {
            let events = events.clone();
            let (out, report) = within(60, "skewed source", move || {
                let rt = Runtime::builder()
                    .cores(cores)
                    .queue_capacity(queue)
                    .build(per_key_sum())
                    .unwrap();
                rt.attach(source::from_slice(events));
                let mut out = Vec::new();
                let report = rt.finish_into(&mut out).unwrap();
                (out, report)
            });
            assert_eq!(last_per_key(&out), want, "{cores} cores, queue {queue}");
            assert_eq!(report.read(), 60_000);
            assert_eq!(report.events_in(), 60_000);
            assert_accounted(&report);
            if cores > 1 {
                let sent: u64 = report.cores.iter().map(|c| c.sent).sum();
                assert!(sent > 0, "keys crossed cores");
            }
        }
    }
}

#[test]
fn sources_and_input_handles_together() {
    let from_source: Arc<[Ev]> = skewed(30_000).into();
    let from_handles: Vec<Ev> = (30_000..40_000)
        .map(|seq| Ev { key: seq % 7, seq })
        .collect();
    let mut all = from_source.to_vec();
    all.extend(&from_handles);
    let want = expected(&all);
    for cores in [2, 4] {
        let src = from_source.clone();
        let feed = from_handles.clone();
        let (out, report) = within(60, "source and handles", move || {
            let rt = Runtime::builder()
                .cores(cores)
                .queue_capacity(8)
                .build(per_key_sum())
                .unwrap();
            rt.attach(source::from_slice(src));
            let mut a = rt.input();
            let mut b = a.clone();
            let (first, second) = feed.split_at(feed.len() / 2);
            std::thread::scope(|s| {
                s.spawn(move || a.submit_iter(first.iter().copied()).unwrap());
                s.spawn(move || {
                    for e in second {
                        b.submit(*e).unwrap();
                    }
                });
            });
            let mut out = Vec::new();
            let report = rt.finish_into(&mut out).unwrap();
            (out, report)
        });
        assert_eq!(last_per_key(&out), want, "{cores} cores");
        assert_eq!((report.read(), report.submitted()), (30_000, 10_000));
        assert_accounted(&report);
    }
}

#[test]
fn unkeyed_pipelines_keep_events_on_the_core_that_read_them() {
    let pipeline = || {
        stream! {
            u64
            -> filter(|x| x % 3 != 0)
            -> map(|x| x * 2)
        }
    };
    for cores in [1, 2, 3] {
        let rt = Runtime::builder().cores(cores).build(pipeline()).unwrap();
        rt.attach(source::from_fn(|core, cores| {
            (core as u64..100_000).step_by(cores)
        }));
        let mut out = Vec::new();
        let report = rt.finish_into(&mut out).unwrap();
        out.sort_unstable();
        let want: Vec<u64> = (0..100_000u64)
            .filter(|x| x % 3 != 0)
            .map(|x| x * 2)
            .collect();
        assert_eq!(out, want);
        for c in &report.cores {
            assert_eq!(c.sent, 0, "no exchange without a key");
            assert_eq!(
                c.events_in, c.read,
                "core {} processed what it read",
                c.core
            );
            assert!(c.read > 0, "every core read its share");
        }
    }
}

#[test]
fn several_sources_and_uneven_splits() {
    let rt = Runtime::builder()
        .cores(3)
        .queue_capacity(4)
        .build(per_key_sum())
        .unwrap();
    // Two splits for three cores: the third reads nothing and still ends.
    rt.attach(source::from_splits(vec![
        source::iter((0..5_000).map(mod_11)),
        source::iter((5_000..9_000).map(mod_11)),
    ]));
    rt.attach(source::from_fn(|core, cores| {
        (9_000 + core as u64..12_000)
            .step_by(cores)
            .map(|seq| Ev { key: seq % 11, seq })
    }));
    let mut out = Vec::new();
    let report = within(60, "several sources", move || {
        let r = rt.finish_into(&mut out).unwrap();
        (r, out)
    });
    let (report, out) = report;
    let all: Vec<Ev> = (0..12_000).map(|seq| Ev { key: seq % 11, seq }).collect();
    assert_eq!(last_per_key(&out), expected(&all));
    assert_eq!(report.read(), 12_000);
    assert_accounted(&report);
}

fn mod_11(seq: u64) -> Ev {
    Ev { key: seq % 11, seq }
}

fn mod_4(seq: u64) -> Ev {
    Ev { key: seq % 4, seq }
}

/// A split that panics after `after` events.
struct Panicking {
    next: u64,
    after: u64,
}

impl Split<Ev> for Panicking {
    fn read(&mut self, buf: &mut Vec<Ev>, max: usize) -> Read {
        for _ in 0..max {
            if self.next == self.after {
                panic!("the split broke");
            }
            buf.push(Ev {
                key: self.next % 5,
                seq: self.next,
            });
            self.next += 1;
        }
        Read::More
    }
}

#[test]
fn a_panicking_split_fails_the_run_with_every_event_counted() {
    let err = within(60, "panicking split", || {
        let rt = Runtime::builder()
            .cores(2)
            .queue_capacity(4)
            .build(per_key_sum())
            .unwrap();
        rt.attach(source::from_splits(vec![
            Panicking {
                next: 0,
                after: 10_000,
            },
            Panicking {
                next: 0,
                after: u64::MAX,
            },
        ]));
        // The second split never ends: the sources are done only because
        // a core failed, and a caller waiting on that must not hang.
        while !rt.sources_done() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        rt.finish().unwrap_err()
    });
    let RuntimeError::CorePanicked { message, .. } = &err else {
        panic!("expected a panic, got {err:?}");
    };
    assert!(message.contains("the split broke"), "{message}");
    assert_accounted(err.report());
    assert!(err.report().read() >= 10_000);
}

#[test]
fn dropping_the_runtime_stops_an_endless_source() {
    within(30, "drop with an endless source", || {
        let rt = Runtime::builder()
            .cores(2)
            .queue_capacity(16)
            .build(per_key_sum())
            .unwrap();
        rt.attach(source::from_fn(|core, _| {
            (core as u64..).map(|seq| Ev { key: seq % 3, seq })
        }));
        std::thread::sleep(std::time::Duration::from_millis(20));
        drop(rt);
    });
}

#[test]
fn event_time_windows_from_a_source_see_no_late_events() {
    // Two splits far apart in time: the core's watermark is the minimum
    // over its sources and the exchange channels, so the slow split's
    // events are never late.
    let pipeline = stream! {
        Ev
        -> event_time(|e| e.seq, lateness = 0ms)
        -> key_by(|e| e.key)
        -> window(tumbling(100ms))
        -> aggregate(count())
    };
    let rt = Runtime::builder()
        .cores(2)
        .queue_capacity(8)
        .build(pipeline)
        .unwrap();
    rt.attach(source::from_splits(vec![
        source::iter((0..20_000).map(mod_4)),
        source::iter((20_000..40_000).map(mod_4)),
    ]));
    let mut out = Vec::new();
    let (report, out) = within(60, "windows from a source", move || {
        let r = rt.finish_into(&mut out).unwrap();
        (r, out)
    });
    assert_eq!(report.late(), 0);
    let total: u64 = out.iter().map(|w| w.value).sum();
    assert_eq!(total, 40_000);
    assert_eq!(out.len(), 400 * 4, "400 windows of 100 ms, 4 keys each");
}

/// Events `from..to`, timestamp = seq, read `per_read` at a time; after
/// each read, `lead` records how far this split's newest event is ahead of
/// the newest event the other split has read.
struct Paced {
    next: u64,
    to: u64,
    per_read: usize,
    pause: std::time::Duration,
    mine: Arc<std::sync::atomic::AtomicU64>,
    other: Arc<std::sync::atomic::AtomicU64>,
    lead: Arc<std::sync::atomic::AtomicU64>,
}

impl Split<Ev> for Paced {
    fn read(&mut self, buf: &mut Vec<Ev>, max: usize) -> Read {
        use std::sync::atomic::Ordering::SeqCst;
        std::thread::sleep(self.pause);
        for _ in 0..max.min(self.per_read) {
            if self.next == self.to {
                return Read::End;
            }
            buf.push(Ev {
                key: self.next % 16,
                seq: self.next,
            });
            self.mine.store(self.next, SeqCst);
            self.lead
                .fetch_max(self.next.saturating_sub(self.other.load(SeqCst)), SeqCst);
            self.next += 1;
        }
        Read::More
    }
}

#[test]
fn a_fast_source_waits_for_a_slow_one_within_the_skew() {
    use std::sync::atomic::AtomicU64;
    // Both splits cover the same span of event time; the slow one takes a
    // pause before each read. Without alignment the fast one reads all of
    // its events at once and every core holds them in open windows.
    let pipeline = stream! {
        Ev
        -> event_time(|e| e.seq, lateness = 0ms)
        -> key_by(|e| e.key)
        -> window(tumbling(10ms))
        -> aggregate(count())
    };
    let (a, b) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let lead = Arc::new(AtomicU64::new(0));
    let split = |from, pause: u64, mine: &Arc<AtomicU64>, other: &Arc<AtomicU64>| Paced {
        next: from,
        to: from + 20_000,
        per_read: 100,
        pause: std::time::Duration::from_micros(pause),
        mine: mine.clone(),
        other: other.clone(),
        lead: lead.clone(),
    };
    let rt = Runtime::builder()
        .cores(2)
        .max_source_skew(std::time::Duration::from_millis(500))
        .build(pipeline)
        .unwrap();
    // The fast split only records its lead; the slow one records nothing.
    let fast = split(0, 0, &a, &b);
    let mut slow = split(0, 200, &b, &a);
    slow.lead = Arc::new(AtomicU64::new(0));
    rt.attach(source::from_splits(vec![fast, slow]));
    let mut out = Vec::new();
    let (report, out) = within(60, "paced sources", move || {
        let r = rt.finish_into(&mut out).unwrap();
        (r, out)
    });
    assert_eq!(report.late(), 0);
    assert_eq!(out.iter().map(|w| w.value).sum::<u64>(), 40_000);
    let lead = lead.load(std::sync::atomic::Ordering::SeqCst);
    // The skew, plus what is read before a pause takes effect: a batch on
    // each side and the watermark on its way through the exchange.
    assert!(
        lead <= 500 + 3 * 256,
        "the fast source ran {lead} ms of event time ahead of the slow one"
    );
}

/// Splits 0 and 1 of the same span of event time; splitting for core 1
/// takes a while, so that core 0 reads and sends before core 1 has its
/// split.
struct SlowToSplit;

impl source::Source<Ev> for SlowToSplit {
    type Split = source::IterSplit<std::iter::Map<std::ops::Range<u64>, fn(u64) -> Ev>>;

    fn split(&mut self, core: usize, _cores: usize) -> Self::Split {
        if core == 1 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        source::iter((0..20_000).map(mod_4 as fn(u64) -> Ev))
    }
}

#[test]
fn a_core_gets_its_split_with_the_channels_into_it() {
    // Were the channels from core 0 to reach core 1 before core 1's own
    // split, core 1's watermark would follow core 0's source alone, and
    // its own split's first events would all be late.
    let pipeline = stream! {
        Ev
        -> event_time(|e| e.seq, lateness = 0ms)
        -> key_by(|e| e.key)
        -> window(tumbling(100ms))
        -> aggregate(count())
    };
    let rt = Runtime::builder().cores(2).build(pipeline).unwrap();
    rt.attach(SlowToSplit);
    let mut out = Vec::new();
    let (report, out) = within(60, "slow split", move || {
        let r = rt.finish_into(&mut out).unwrap();
        (r, out)
    });
    assert_eq!(report.late(), 0);
    assert_eq!(out.iter().map(|w| w.value).sum::<u64>(), 40_000);
}

/// Nothing until `go` is set, then ends.
struct SilentUntil {
    go: Arc<std::sync::atomic::AtomicBool>,
}

impl Split<Ev> for SilentUntil {
    fn read(&mut self, _buf: &mut Vec<Ev>, _max: usize) -> Read {
        if self.go.load(std::sync::atomic::Ordering::SeqCst) {
            Read::End
        } else {
            std::thread::sleep(std::time::Duration::from_micros(200));
            Read::Idle
        }
    }
}

#[test]
fn an_idle_split_stops_holding_the_watermark_after_the_idle_timeout() {
    use std::sync::atomic::{AtomicBool, Ordering};
    // One core, two splits: one in time order, one silent. Without the
    // idle timeout the silent split would hold the core's watermark at 0
    // and no window could fire before it ended.
    let pipeline = stream! {
        Ev
        -> event_time(|e| e.seq, lateness = 0ms, idle = 20ms)
        -> key_by(|e| e.key)
        -> window(tumbling(100ms))
        -> aggregate(count())
    };
    let go = Arc::new(AtomicBool::new(false));
    let silent = go.clone();
    let counted = within(60, "idle split", move || {
        let mut rt = Runtime::builder().cores(1).build(pipeline).unwrap();
        let mut output = rt.output().unwrap();
        // 10,000 events in time order, 250 every 2 ms.
        let paced = (0..40u64).flat_map(|chunk| {
            std::thread::sleep(std::time::Duration::from_millis(2));
            (chunk * 250..(chunk + 1) * 250).map(mod_4)
        });
        rt.attach(source::from_splits(vec![source::iter(paced)]));
        rt.attach(source::from_splits(vec![SilentUntil { go: silent }]));
        // Windows fire while the silent split is still attached and the
        // paced one still reads.
        let mut counted = 0;
        while counted < 5_000 {
            let w = output
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("a window fired while a split was idle");
            counted += w.value;
        }
        go.store(true, Ordering::SeqCst);
        // The last windows fire at the end of input, which `finish` makes.
        let report = rt.finish().unwrap();
        counted += output.map(|w| w.value).sum::<u64>();
        assert_eq!(report.late(), 0);
        counted
    });
    assert_eq!(counted, 10_000);
}
