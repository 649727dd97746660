//! Tumbling and sliding windows with literal durations (`Fixed`, whose
//! arithmetic divides by constants) against the same windows with the
//! durations as values (`Dynamic`) and against a plain reference, over
//! random events and watermarks: timestamps at and near 0 (where windows
//! would start before 0 and do not exist), near `u64::MAX` (where window
//! ends saturate), with gaps wider than the panes the ring fills in, out of
//! order, late, partly late and within the lateness; both emit policies.
//!
//! `Fixed` and `Dynamic` must agree exactly, result for result in the same
//! order. Against the reference, which keeps every accepted event and
//! computes each value from them, what each call emitted must agree as a
//! set (the order of keys within a window is a hash map's).
//!
//! 256 cases per shape; `PROPTEST_CASES=20000` for a longer hunt.

use laminar_runtime::window::aggregate::Aggs;
use laminar_runtime::window::aligned::AlignedWindow;
use laminar_runtime::window::geometry::{Dynamic, Fixed, Geometry};
use laminar_runtime::window::{EmitPolicy, EventTime, KeyFn, Windowed};
use laminar_runtime::{Emit, Operator, Timestamp};
use proptest::prelude::*;

/// key, timestamp, value
type Ev = (u32, Timestamp, u64);
/// count, sum, max
type Value = (u64, u64, Option<u64>);
/// key, start, end, value
type Row = (u32, Timestamp, Timestamp, Value);

#[derive(Clone, Copy, Debug)]
enum Op {
    Event(Ev),
    Watermark(Timestamp),
}

/// What one call emitted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Batch {
    rows: Vec<Row>,
    late: Vec<Ev>,
    partly_late: Vec<Ev>,
}

impl Batch {
    fn sorted(mut self) -> Self {
        self.rows.sort_unstable();
        self.late.sort_unstable();
        self.partly_late.sort_unstable();
        self
    }
}

fn take<L: 'static, X: 'static>(x: X) -> Option<L> {
    let mut slot = Some(x);
    (&mut slot as &mut dyn core::any::Any)
        .downcast_mut::<Option<L>>()
        .and_then(Option::take)
}

impl Emit<Windowed<u32, Value>> for Batch {
    fn emit(&mut self, w: Windowed<u32, Value>) {
        self.rows.push((w.key, w.start, w.end, w.value));
    }
    fn emit_late<X: 'static>(&mut self, late: X) {
        self.late.extend(take::<Ev, X>(late));
    }
    fn emit_partly_late<X: 'static>(&mut self, event: X) {
        self.partly_late.extend(take::<Ev, X>(event));
    }
}

fn window<G: Geometry>(
    geometry: G,
    lateness: Timestamp,
    emit: EmitPolicy,
) -> impl Operator<In = Ev, Out = Windowed<u32, Value>> {
    let aggs = Aggs::<Ev>::new();
    let agg = (aggs.count(), aggs.sum(|e: &Ev| e.2), aggs.max(|e: &Ev| e.2));
    AlignedWindow::new(
        KeyFn(|e: &Ev| e.0),
        EventTime::new(|e: &Ev| e.1, 0, None),
        agg,
        geometry,
        lateness,
        emit,
    )
}

/// Runs `op` over `ops` and then ends it: one batch per call.
fn run<O: Operator<In = Ev, Out = Windowed<u32, Value>>>(mut op: O, ops: &[Op]) -> Vec<Batch> {
    let mut batches = Vec::with_capacity(ops.len() + 1);
    for &o in ops {
        let mut b = Batch::default();
        match o {
            Op::Event(e) => op.on_event(e, &mut b),
            Op::Watermark(t) => op.on_watermark(t, &mut b),
        }
        batches.push(b);
    }
    let mut b = Batch::default();
    op.on_end(&mut b);
    batches.push(b);
    batches
}

/// The rules of `AlignedWindow`, written to be obviously right: every
/// accepted event is kept, and a window's value is computed from the
/// events in it whenever it is emitted.
struct Reference {
    size: u64,
    slide: u64,
    lateness: u64,
    on_update: bool,
    watermark: Timestamp,
    accepted: Vec<Ev>,
}

impl Reference {
    /// The windows (by number; window `w` starts at `w * slide`) that hold
    /// `ts`: none starts before 0.
    fn windows(&self, ts: Timestamp) -> core::ops::RangeInclusive<u64> {
        let first = match ts.checked_sub(self.size - 1) {
            Some(t) => t.div_ceil(self.slide),
            None => 0,
        };
        first..=ts / self.slide
    }

    fn start(&self, w: u64) -> Timestamp {
        w * self.slide
    }

    fn end(&self, w: u64) -> Timestamp {
        self.start(w).saturating_add(self.size)
    }

    /// Past its end plus the lateness: final, never emitted again.
    fn gone(&self, w: u64) -> bool {
        self.end(w).saturating_add(self.lateness) <= self.watermark
    }

    fn value(&self, key: u32, w: u64) -> Option<Value> {
        // In the window if `start <= ts < start + size`, where the end of
        // the last windows, past `u64::MAX`, is reported as `u64::MAX`.
        let start = self.start(w);
        let mut value: Option<Value> = None;
        for e in &self.accepted {
            if e.0 == key && e.1 >= start && e.1 - start < self.size {
                let v = value.get_or_insert((0, 0, None));
                v.0 += 1;
                v.1 = v.1.wrapping_add(e.2);
                v.2 = Some(v.2.map_or(e.2, |m| m.max(e.2)));
            }
        }
        value
    }

    fn row(&self, key: u32, w: u64) -> Option<Row> {
        self.value(key, w)
            .map(|v| (key, self.start(w), self.end(w), v))
    }

    fn event(&mut self, e: Ev) -> Batch {
        let mut b = Batch::default();
        let windows = self.windows(e.1);
        if windows.clone().all(|w| self.gone(w)) {
            b.late.push(e);
            return b;
        }
        self.accepted.push(e);
        let first = *windows.start();
        if self.on_update || self.end(first) <= self.watermark {
            for w in windows {
                if !self.gone(w) && (self.on_update || self.end(w) <= self.watermark) {
                    b.rows.extend(self.row(e.0, w));
                }
            }
        }
        if self.gone(first) {
            b.partly_late.push(e);
        }
        b
    }

    fn advance(&mut self, to: Timestamp) -> Batch {
        let mut b = Batch::default();
        if to <= self.watermark {
            return b;
        }
        let old = self.watermark;
        self.watermark = to;
        let mut due: Vec<(u64, u32)> = self
            .accepted
            .iter()
            .flat_map(|e| self.windows(e.1).map(move |w| (w, e.0)))
            .filter(|&(w, _)| self.end(w) > old && self.end(w) <= to)
            .collect();
        due.sort_unstable();
        due.dedup();
        for (w, key) in due {
            b.rows.extend(self.row(key, w));
        }
        b
    }

    fn run(mut self, ops: &[Op]) -> Vec<Batch> {
        let mut batches: Vec<Batch> = ops
            .iter()
            .map(|&o| match o {
                Op::Event(e) => self.event(e),
                Op::Watermark(t) => self.advance(t),
            })
            .collect();
        batches.push(self.advance(Timestamp::MAX));
        batches
    }
}

/// Times near 0, a little further (with gaps of more panes than the ring
/// fills in when a pane is 1 ms), near the end of time, and anywhere.
fn time() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        8 => 0u64..48,
        3 => 0u64..600,
        1 => (u64::MAX - 48)..=u64::MAX,
        1 => any::<u64>(),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        4 => (0u32..3, time(), 0u64..100).prop_map(Op::Event),
        1 => time().prop_map(Op::Watermark),
    ];
    proptest::collection::vec(op, 0..80)
}

fn lateness() -> impl Strategy<Value = Timestamp> {
    prop_oneof![4 => Just(0u64), 4 => 1u64..30, 1 => Just(u64::MAX)]
}

fn check<const SIZE: u64, const SLIDE: u64>(
    ops: &[Op],
    lateness: Timestamp,
    on_update: bool,
) -> Result<(), TestCaseError> {
    let emit = if on_update {
        EmitPolicy::OnUpdate
    } else {
        EmitPolicy::OnClose
    };
    let fixed = run(window(Fixed::<SIZE, SLIDE>, lateness, emit), ops);
    let dynamic = run(window(Dynamic::new(SIZE, SLIDE), lateness, emit), ops);
    prop_assert_eq!(&fixed, &dynamic, "Fixed and Dynamic disagree");
    let reference = Reference {
        size: SIZE,
        slide: SLIDE,
        lateness,
        on_update,
        watermark: 0,
        accepted: Vec::new(),
    }
    .run(ops);
    let fixed: Vec<Batch> = fixed.into_iter().map(Batch::sorted).collect();
    let reference: Vec<Batch> = reference.into_iter().map(Batch::sorted).collect();
    for (i, (f, r)) in fixed.iter().zip(&reference).enumerate() {
        prop_assert_eq!(
            f,
            r,
            "call {} ({:?}) disagrees with the reference",
            i,
            ops.get(i)
        );
    }
    Ok(())
}

macro_rules! geometries {
    ($($name:ident: $size:literal, $slide:literal;)*) => {
        proptest! {
            $(
                #[test]
                fn $name(ops in ops(), lateness in lateness(), on_update in any::<bool>()) {
                    check::<$size, $slide>(&ops, lateness, on_update)?;
                }
            )*
        }
    };
}

geometries! {
    tumbling_1: 1, 1;
    tumbling_10: 10, 10;
    sliding_10_by_2: 10, 2;
    sliding_10_by_4: 10, 4;
    sliding_7_by_3: 7, 3;
    sliding_30_by_10: 30, 10;
    sliding_12_by_8: 12, 8;
    sliding_64_by_16: 64, 16;
}

/// The reference agrees with the hand-checked cases of the unit tests, so
/// that a bug shared by it and the operator would show.
#[test]
fn reference_sanity() {
    let ops = [
        Op::Event((1, 25, 1)),
        Op::Watermark(35),
        Op::Event((1, 26, 1)),
    ];
    let r = Reference {
        size: 30,
        slide: 10,
        lateness: 0,
        on_update: false,
        watermark: 0,
        accepted: Vec::new(),
    }
    .run(&ops);
    assert_eq!(r[1].rows, [(1, 0, 30, (1, 1, Some(1)))]);
    assert_eq!(r[2].partly_late, [(1, 26, 1)]);
    assert_eq!(
        r[3].rows,
        [(1, 10, 40, (2, 2, Some(1))), (1, 20, 50, (2, 2, Some(1)))]
    );
}
