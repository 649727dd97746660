//! Nexmark bids for the correctness tests, a harness that runs a windowed
//! pipeline while draining it, and the plain single-threaded references the
//! pipelines' results are checked against.
//!
//! The bids, their generator and the pipelines under test come from
//! `laminar_examples::nexmark`, the code the examples and the bench run.
//! The references are the oracle and share nothing with them: written to
//! be obviously right rather than fast (sort, group, scan), every window's
//! value computed from the list of bids in it, never incrementally.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::Duration;

use laminar::prelude::*;
use laminar::{Report, Timestamp};
use laminar_examples::nexmark;
pub use laminar_examples::nexmark::Bid;

/// Bids per test: 100 000 is the floor the issue sets, and a test may cut
/// up to 10 s (about 9 200 bids) off the end to place its final watermark.
pub const BIDS: usize = 110_000;

/// Events per second of event time (persons, auctions and bids together).
/// Nexmark's default is 10 000; a tenth of it spreads 100 000 bids over
/// about 110 s of event time, so that a 10 s window is one of many.
pub const RATE: usize = 1_000;

/// The test bids, generated once per test binary.
pub fn bids() -> &'static [Bid] {
    static BIDS_ONCE: OnceLock<Vec<Bid>> = OnceLock::new();
    BIDS_ONCE.get_or_init(|| {
        let bids = nexmark::bids(BIDS, RATE);
        assert!(
            bids.windows(2).all(|w| w[0].date_time <= w[1].date_time),
            "Nexmark bids come in event-time order"
        );
        bids
    })
}

/// One window result: key, start, end, value.
pub type Row<V> = (u64, Timestamp, Timestamp, V);

/// What a run of a pipeline gave back.
pub struct Run<V> {
    /// Window results in the order they were drained: per core, the order
    /// they were emitted (a key lives on one core).
    pub rows: Vec<Row<V>>,
    /// Late events, in the order drained.
    pub late: Vec<Bid>,
    /// The runtime's report.
    pub report: Report,
}

impl<V> Run<V> {
    fn new(out: Vec<Windowed<u64, V>>, late: Vec<Bid>, report: Report) -> Self {
        Run {
            rows: out
                .into_iter()
                .map(|w| (w.key, w.start, w.end, w.value))
                .collect(),
            late,
            report,
        }
    }
}

/// Runs `pipeline` on `cores` cores: a thread submits each feed in turn
/// (each in batches, so watermarks go out between them), while this thread
/// drains the results and late events, so that no outbox ever fills.
pub fn run<P, V>(pipeline: P, cores: usize, feeds: &[&[Bid]]) -> Run<V>
where
    P: Pipeline<In = Bid, Out = Windowed<u64, V>>,
    V: Send + 'static,
{
    let mut rt = Runtime::builder()
        .cores(cores)
        .build(pipeline)
        .expect("runtime");
    let mut input = rt.input();
    let mut out = Vec::new();
    let mut late = Vec::new();
    std::thread::scope(|s| {
        let feeder = s.spawn(move || {
            for feed in feeds {
                for batch in feed.chunks(1024) {
                    input.submit_iter(batch.iter().copied()).expect("submit");
                }
            }
        });
        while !feeder.is_finished() {
            rt.drain(&mut out);
            rt.drain_late(&mut late);
            std::thread::sleep(Duration::from_micros(200));
        }
        feeder.join().expect("feeder thread");
    });
    let report = rt.finish_with_late(&mut out, &mut late).expect("finish");
    let total: usize = feeds.iter().map(|f| f.len()).sum();
    assert_eq!(report.events_in(), total as u64, "every bid was consumed");
    assert_eq!(report.dropped(), 0);
    Run::new(out, late, report)
}

/// Runs `pipeline` on `cores` cores with `bids` read by a source inside
/// the cores (each core reads its blocks of the slice; keyed events cross
/// to their core through the exchange), while this thread drains.
pub fn run_source<P, V>(pipeline: P, cores: usize, bids: &[Bid]) -> Run<V>
where
    P: Pipeline<In = Bid, Out = Windowed<u64, V>>,
    V: Send + 'static,
{
    let mut rt = Runtime::builder()
        .cores(cores)
        .build(pipeline)
        .expect("runtime");
    let shared: std::sync::Arc<[Bid]> = bids.into();
    rt.attach(laminar::source::from_slice(shared));
    let mut out = Vec::new();
    let mut late = Vec::new();
    // Drains while the cores read, so that no outbox grows without bound.
    while !rt.sources_done() {
        rt.drain(&mut out);
        rt.drain_late(&mut late);
        std::thread::sleep(Duration::from_millis(1));
    }
    let report = rt.finish_with_late(&mut out, &mut late).expect("finish");
    assert_eq!(report.read(), bids.len() as u64, "every bid was read");
    assert_eq!(report.events_in(), bids.len() as u64, "and consumed");
    let sent: u64 = report.cores.iter().map(|c| c.sent).sum();
    let received: u64 = report.cores.iter().map(|c| c.received).sum();
    assert_eq!(sent, received, "what crossed an exchange arrived");
    Run::new(out, late, report)
}

/// On 1, 2 and 4 cores, `bids` read by a source inside the cores, in
/// order and shuffled within `lateness`, give `want`, with nothing late.
pub fn check_source<P, V>(
    pipeline: impl Fn() -> P,
    bids: &[Bid],
    lateness: u64,
    want: &[Row<V>],
    name: &str,
) where
    P: Pipeline<In = Bid, Out = Windowed<u64, V>>,
    V: Send + Ord + Clone + std::fmt::Debug + 'static,
{
    let shuffled = shuffle_within(bids, lateness, 11);
    for (order, feed) in [("in order", bids), ("shuffled", &shuffled[..])] {
        for cores in [1, 2, 4] {
            let run = run_source(pipeline(), cores, feed);
            assert_same(
                &run.rows,
                want,
                &format!("{name} from a source, {order}, on {cores} cores"),
            );
            assert_eq!(run.report.late(), 0, "{name}, {order}, {cores} cores");
            if cores > 1 {
                let sent: u64 = run.report.cores.iter().map(|c| c.sent).sum();
                assert!(sent > 0, "keyed events crossed between cores");
            }
        }
    }
}

/// `items`, sorted: a multiset in a form that compares with `==`.
pub fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort_unstable();
    items
}

/// Asserts two multisets are equal; on failure says how many items differ
/// and shows the first few of each side instead of two huge vectors.
pub fn assert_same<T: Ord + Clone + std::fmt::Debug>(got: &[T], want: &[T], what: &str) {
    let (got, want) = (sorted(got.to_vec()), sorted(want.to_vec()));
    if got == want {
        return;
    }
    let mut only_got = Vec::new();
    let mut only_want = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < got.len() || j < want.len() {
        match (got.get(i), want.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                only_got.push(a.clone());
                i += 1;
            }
            (Some(_), Some(b)) => {
                only_want.push(b.clone());
                j += 1;
            }
            (Some(a), None) => {
                only_got.push(a.clone());
                i += 1;
            }
            (None, Some(b)) => {
                only_want.push(b.clone());
                j += 1;
            }
            (None, None) => break,
        }
    }
    panic!(
        "{what}: {} items, {} expected; {} unexpected, e.g. {:?}; {} missing, e.g. {:?}",
        got.len(),
        want.len(),
        only_got.len(),
        &only_got[..only_got.len().min(5)],
        only_want.len(),
        &only_want[..only_want.len().min(5)],
    );
}

/// Starts of the windows `[start, start + size)`, one every `slide`, that
/// contain `ts`, ascending. Windows start at or after 0.
pub fn window_starts(ts: Timestamp, size: u64, slide: u64) -> Vec<Timestamp> {
    let mut starts = Vec::new();
    let mut start = ts - ts % slide;
    while start + size > ts {
        starts.push(start);
        match start.checked_sub(slide) {
            Some(earlier) => start = earlier,
            None => break,
        }
    }
    starts.reverse();
    starts
}

/// The reference for tumbling and sliding windows: every bid goes into
/// every window containing it, grouped by `(key, start)`.
pub fn aligned(
    bids: &[Bid],
    size: u64,
    slide: u64,
    key: impl Fn(&Bid) -> u64,
) -> BTreeMap<(u64, Timestamp), Vec<Bid>> {
    let mut windows: BTreeMap<(u64, Timestamp), Vec<Bid>> = BTreeMap::new();
    for b in bids {
        for start in window_starts(b.date_time, size, slide) {
            windows.entry((key(b), start)).or_default().push(*b);
        }
    }
    windows
}

/// The reference for session windows: each key's bids sorted by time and
/// split wherever two neighbours are `gap` or more apart. A session is
/// `[first, last + gap)`.
pub fn sessions(
    bids: &[Bid],
    gap: u64,
    key: impl Fn(&Bid) -> u64,
) -> Vec<(u64, Timestamp, Timestamp, Vec<Bid>)> {
    let mut by_key: BTreeMap<u64, Vec<Bid>> = BTreeMap::new();
    for b in bids {
        by_key.entry(key(b)).or_default().push(*b);
    }
    let mut out = Vec::new();
    for (k, mut list) in by_key {
        list.sort_by_key(|b| b.date_time);
        let mut current: Vec<Bid> = Vec::new();
        for b in list {
            if let Some(prev) = current.last()
                && b.date_time - prev.date_time >= gap
            {
                let (first, last) = (current[0].date_time, prev.date_time);
                out.push((k, first, last + gap, std::mem::take(&mut current)));
            }
            current.push(b);
        }
        if let (Some(first), Some(last)) = (current.first(), current.last()) {
            let (first, last) = (first.date_time, last.date_time);
            out.push((k, first, last + gap, current));
        }
    }
    out
}

/// A deterministic pseudo-random sequence (xorshift64*).
pub struct Rng(u64);

impl Rng {
    /// A sequence from `seed` (any value).
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    /// The next value.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `bids` (in event-time order) permuted within consecutive blocks whose
/// timestamps span less than `spread`. With the watermark trailing the
/// highest timestamp by `spread`, no bid ever arrives behind it: a bid's
/// block started less than `spread` before anything submitted so far.
pub fn shuffle_within(bids: &[Bid], spread: u64, seed: u64) -> Vec<Bid> {
    shuffle_within_by(bids, |b| b.date_time, spread, seed)
}

/// [`shuffle_within`] for any events in the order of the time `time`
/// reads from each.
pub fn shuffle_within_by<T: Clone>(
    events: &[T],
    time: impl Fn(&T) -> u64,
    spread: u64,
    seed: u64,
) -> Vec<T> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(events.len());
    let mut rest = events;
    while let Some(first) = rest.first() {
        let start = time(first);
        let len = rest
            .iter()
            .position(|e| time(e) - start >= spread)
            .unwrap_or(rest.len());
        let mut block = rest[..len].to_vec();
        for i in (1..block.len()).rev() {
            block.swap(i, rng.below(i as u64 + 1) as usize);
        }
        out.extend(block);
        rest = &rest[len..];
    }
    out
}

/// Splits `bids` into the ones kept in place and the ones `pick` chooses
/// to hold back, both in their original order.
pub fn hold_back(bids: &[Bid], mut pick: impl FnMut(usize, &Bid) -> bool) -> (Vec<Bid>, Vec<Bid>) {
    let mut kept = Vec::with_capacity(bids.len());
    let mut held = Vec::new();
    for (i, b) in bids.iter().enumerate() {
        if pick(i, b) {
            held.push(*b);
        } else {
            kept.push(*b);
        }
    }
    (kept, held)
}

/// The longest prefix of `bids` (in event-time order) whose final
/// watermark, its highest timestamp minus `lateness`, lands at (or a few
/// milliseconds before) `offset` into a window of `size`: a test that needs the end of input at a given place
/// relative to the window boundaries cuts the stream there.
pub fn cut_at(bids: &[Bid], lateness: u64, size: u64, offset: u64) -> &[Bid] {
    let watermark = max_time(bids) - lateness;
    let mut cut = watermark - watermark % size + offset;
    if cut > watermark {
        cut -= size;
    }
    let len = bids.partition_point(|b| b.date_time <= cut + lateness);
    let bids = &bids[..len];
    assert!(bids.len() >= 100_000, "cut to {} bids", bids.len());
    assert!(
        cut - (max_time(bids) - lateness) < 100,
        "a bid just before the cut"
    );
    bids
}

/// The highest timestamp in `bids`.
pub fn max_time(bids: &[Bid]) -> Timestamp {
    bids.iter().map(|b| b.date_time).max().expect("some bids")
}

/// `all` without the bids of `removed` (a multiset difference).
pub fn without(all: &[Bid], removed: &[Bid]) -> Vec<Bid> {
    let mut removed = sorted(removed.to_vec());
    let mut out = Vec::with_capacity(all.len());
    for b in all {
        match removed.binary_search(b) {
            Ok(i) => {
                removed.remove(i);
            }
            Err(_) => out.push(*b),
        }
    }
    assert!(removed.is_empty(), "removed bids were all in the set");
    out
}

/// For results that may be emitted more than once (a window updated by a
/// late event within its allowed lateness): the last value emitted for each
/// `(key, start, end)`, which is the window's final value.
pub fn last_values<V: Clone>(rows: &[Row<V>]) -> Vec<Row<V>> {
    let mut last: BTreeMap<(u64, Timestamp, Timestamp), V> = BTreeMap::new();
    for (k, s, e, v) in rows {
        last.insert((*k, *s, *e), v.clone());
    }
    last.into_iter()
        .map(|((k, s, e), v)| (k, s, e, v))
        .collect()
}

/// The distinct `(key, start, end)` of `rows`.
pub fn windows_of<V>(rows: &[Row<V>]) -> BTreeSet<(u64, Timestamp, Timestamp)> {
    rows.iter().map(|(k, s, e, _)| (*k, *s, *e)).collect()
}

/// A feed split in two: `kept`, submitted first, then `held`, submitted
/// after all of it, when the watermark is `watermark`.
pub struct HeldBack {
    /// The bids submitted first.
    pub kept: Vec<Bid>,
    /// The bids held back.
    pub held: Vec<Bid>,
    /// The watermark when the held-back bids come: the highest timestamp
    /// of `kept` minus the lateness.
    pub watermark: Timestamp,
}

/// About one bid in a hundred, among those whose state (a window or a
/// session reaching `span` past the bid) closed well before the end, held
/// back; the rest shuffled within `lateness`. Every held-back bid then
/// arrives past its state's end (plus an allowed lateness of 0).
pub fn held_past_the_lateness(bids: &[Bid], span: u64, lateness: u64) -> HeldBack {
    let end = max_time(bids);
    let mut rng = Rng::new(11);
    let (kept, held) = hold_back(bids, |_, b| {
        rng.below(100) == 0 && b.date_time + 2 * (span + lateness) <= end
    });
    assert!(held.len() > 500);
    let kept = shuffle_within(&kept, lateness, 3);
    assert_eq!(max_time(&kept), end);
    HeldBack {
        kept,
        held,
        watermark: end - lateness,
    }
}

/// One bid in three of the last stretch before the final watermark held
/// back, the stretch reaching back three `span`s and the `allowed`
/// lateness: some held-back bids land in state still open, some in state
/// closed but within the allowed lateness, some in state past it.
pub fn held_into_the_allowed_lateness(
    bids: &[Bid],
    span: u64,
    lateness: u64,
    allowed: u64,
) -> HeldBack {
    let end = max_time(bids);
    let watermark = end - lateness;
    let from = watermark - span - allowed - 2 * span;
    let mut rng = Rng::new(5);
    let (kept, held) = hold_back(bids, |_, b| {
        (from..watermark).contains(&b.date_time) && rng.below(3) == 0
    });
    assert_eq!(max_time(&kept), end);
    HeldBack {
        kept,
        held,
        watermark,
    }
}

/// On 1 and 2 cores: `bids`, in order, give `want`, with nothing late.
/// Returns each run's results, for checks on top of them.
pub fn check_in_order<P, V>(
    pipeline: impl Fn() -> P,
    bids: &[Bid],
    want: &[Row<V>],
    name: &str,
) -> Vec<Vec<Row<V>>>
where
    P: Pipeline<In = Bid, Out = Windowed<u64, V>>,
    V: Send + Ord + Clone + std::fmt::Debug + 'static,
{
    [1, 2]
        .into_iter()
        .map(|cores| {
            let run = run(pipeline(), cores, &[bids]);
            assert_same(&run.rows, want, &format!("{name} on {cores} cores"));
            assert!(run.late.is_empty());
            assert_eq!(run.report.late(), 0);
            run.rows
        })
        .collect()
}

/// On 1 and 2 cores: `bids` shuffled within `lateness` give `want`, with
/// nothing late.
pub fn check_shuffled<P, V>(
    pipeline: impl Fn() -> P,
    bids: &[Bid],
    lateness: u64,
    want: &[Row<V>],
    name: &str,
) where
    P: Pipeline<In = Bid, Out = Windowed<u64, V>>,
    V: Send + Ord + Clone + std::fmt::Debug + 'static,
{
    let shuffled = shuffle_within(bids, lateness, 7);
    assert_ne!(shuffled, bids, "the shuffle moved bids");
    for cores in [1, 2] {
        let run = run(pipeline(), cores, &[&shuffled]);
        assert_same(
            &run.rows,
            want,
            &format!("{name}, shuffled, on {cores} cores"),
        );
        assert_eq!(run.report.late(), 0);
    }
}

/// On 1 and 2 cores: every bid of `feed.held` reaches the late output and
/// is counted there, and the results are `want` (those of `feed.kept`).
pub fn check_held_past_the_lateness<P, V>(
    pipeline: impl Fn() -> P,
    feed: &HeldBack,
    want: &[Row<V>],
    name: &str,
) where
    P: Pipeline<In = Bid, Out = Windowed<u64, V>>,
    V: Send + Ord + Clone + std::fmt::Debug + 'static,
{
    for cores in [1, 2] {
        let run = run(pipeline(), cores, &[&feed.kept, &feed.held]);
        assert_same(&run.late, &feed.held, "late output");
        assert_eq!(run.report.late(), feed.held.len() as u64);
        assert_same(
            &run.rows,
            want,
            &format!("{name} without the held-back bids, on {cores} cores"),
        );
    }
}
