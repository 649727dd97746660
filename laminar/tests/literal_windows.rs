//! `stream!` turns literal window durations into constants
//! (`Fixed::<SIZE, SLIDE>`) and durations given as expressions into
//! values checked at build (`Dynamic`). The two must give the same results,
//! late events and partly late events, in the same order, for any events
//! and watermarks: here for tumbling and sliding windows, per key and over
//! all events, with and without lateness, over random timestamps near 0
//! (where windows would start before 0) and in order, out of order and late.
//! (`laminar-runtime`'s `aligned_windows` test checks the operator against a
//! plain reference.)

use std::time::Duration;

use laminar::prelude::*;
use proptest::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Bid {
    auction: u64,
    price: u64,
    at: u64,
}

/// A result and the call that emitted it: call, key, start, end, (count,
/// max price).
type Row<K> = (usize, K, u64, u64, (u64, Option<u64>));

/// Everything a chain emitted, call by call.
#[derive(Debug, Default, PartialEq, Eq)]
struct Seen<K> {
    rows: Vec<Row<K>>,
    late: Vec<(usize, Bid)>,
    partly_late: Vec<(usize, Bid)>,
    call: usize,
}

fn take<L: 'static, X: 'static>(x: X) -> Option<L> {
    let mut slot = Some(x);
    (&mut slot as &mut dyn core::any::Any)
        .downcast_mut::<Option<L>>()
        .and_then(Option::take)
}

impl<K> Emit<Windowed<K, (u64, Option<u64>)>> for Seen<K> {
    fn emit(&mut self, w: Windowed<K, (u64, Option<u64>)>) {
        self.rows.push((self.call, w.key, w.start, w.end, w.value));
    }
    fn emit_late<X: 'static>(&mut self, late: X) {
        let call = self.call;
        self.late.extend(take::<Bid, X>(late).map(|b| (call, b)));
    }
    fn emit_partly_late<X: 'static>(&mut self, event: X) {
        let call = self.call;
        self.partly_late
            .extend(take::<Bid, X>(event).map(|b| (call, b)));
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Bid(Bid),
    Watermark(u64),
}

fn run<P, K>(p: &P, ops: &[Op]) -> Seen<K>
where
    P: Pipeline<In = Bid, Out = Windowed<K, (u64, Option<u64>)>>,
{
    let mut chain = p.instantiate(0);
    let mut seen = Seen {
        rows: Vec::new(),
        late: Vec::new(),
        partly_late: Vec::new(),
        call: 0,
    };
    for (i, &op) in ops.iter().enumerate() {
        seen.call = i;
        match op {
            Op::Bid(b) => chain.on_event(b, &mut seen),
            Op::Watermark(t) => chain.on_watermark(t, &mut seen),
        }
    }
    seen.call = ops.len();
    chain.on_end(&mut seen);
    seen
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let at = prop_oneof![6 => 0u64..60, 1 => 0u64..2_000];
    let bid = (0u64..4, 0u64..50, at.clone())
        .prop_map(|(auction, price, at)| Op::Bid(Bid { auction, price, at }));
    let op = prop_oneof![4 => bid, 1 => at.prop_map(Op::Watermark)];
    proptest::collection::vec(op, 0..120)
}

proptest! {
    #[test]
    fn tumbling_literal_and_expression_agree(ops in ops()) {
        let size = Duration::from_millis(10);
        let late = Duration::from_millis(3);
        let literal = stream! {
            Bid
            -> event_time(|b| b.at, lateness = 3ms)
            -> key_by(|b| b.auction)
            -> window(tumbling(10ms), allowed_lateness = 3ms)
            -> aggregate(count(), max(|b| b.price))
        };
        let expression = stream! {
            Bid
            -> event_time(|b| b.at, lateness = late)
            -> key_by(|b| b.auction)
            -> window(tumbling(size), allowed_lateness = late)
            -> aggregate(count(), max(|b| b.price))
        };
        prop_assert_eq!(run(&literal, &ops), run(&expression, &ops));
    }

    #[test]
    fn sliding_literal_and_expression_agree(ops in ops()) {
        let (size, slide) = (Duration::from_millis(10), Duration::from_millis(4));
        let literal = stream! {
            Bid
            -> event_time(|b| b.at)
            -> key_by(|b| b.auction)
            -> window(sliding(10ms, 4ms), allowed_lateness = 5ms)
            -> aggregate(count(), max(|b| b.price))
        };
        let expression = stream! {
            Bid
            -> event_time(|b| b.at)
            -> key_by(|b| b.auction)
            -> window(sliding(size, slide), allowed_lateness = 5ms)
            -> aggregate(count(), max(|b| b.price))
        };
        prop_assert_eq!(run(&literal, &ops), run(&expression, &ops));
    }

    #[test]
    fn window_all_literal_and_expression_agree(ops in ops()) {
        let (size, slide) = (Duration::from_millis(9), Duration::from_millis(3));
        let literal = stream! {
            Bid
            -> event_time(|b| b.at)
            -> window_all(sliding(9ms, 3ms), emit = on_update)
            -> aggregate(count(), max(|b| b.price))
        };
        let expression = stream! {
            Bid
            -> event_time(|b| b.at)
            -> window_all(sliding(size, slide), emit = on_update)
            -> aggregate(count(), max(|b| b.price))
        };
        prop_assert_eq!(run(&literal, &ops), run(&expression, &ops));
    }
}
