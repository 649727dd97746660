//! Joins in `stream!`: interval joins (inner and left outer) and window
//! joins between two named streams, against plain nested-loop references
//! on 1, 2 and 4 cores, with input shuffled within the lateness; the rows a
//! join holds, counted, stay bounded by the rate times the interval; late
//! rows come back on the late output as submitted.

mod common;

use std::collections::BTreeMap;

use laminar::Change;
use laminar::port::Either;
use laminar::prelude::*;

use common::jitter as shuffled;
use common::nexmark::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Order {
    id: u64,
    user: u64,
    at: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Payment {
    user: u64,
    cents: u64,
    at: u64,
}

const N: u64 = 20_000;

fn orders() -> Vec<Order> {
    let mut rng = Rng::new(5);
    (0..N)
        .map(|i| Order {
            id: i,
            user: rng.below(500),
            at: i * 2,
        })
        .collect()
}

fn payments() -> Vec<Payment> {
    let mut rng = Rng::new(9);
    (0..N)
        .map(|i| Payment {
            user: rng.below(500),
            cents: rng.below(1000),
            at: i * 2 + 1,
        })
        .collect()
}

fn feed<P>(rt: &Runtime<P>, orders: &[Order], payments: &[Payment])
where
    P: laminar::Pipeline<In = Either<Order, Payment>>,
{
    let mut o = rt.port::<Order, _>();
    let mut p = rt.port::<Payment, _>();
    for (os, ps) in orders.chunks(500).zip(payments.chunks(500)) {
        o.submit_iter(os.iter().copied()).expect("orders");
        p.submit_iter(ps.iter().copied()).expect("payments");
    }
}

#[test]
fn an_interval_join_matches_a_nested_loop_on_1_2_and_4_cores() {
    let (orders, payments) = (orders(), payments());
    let mut want: Vec<(u64, u64, u64)> = Vec::new();
    for o in &orders {
        for p in &payments {
            if p.user == o.user && p.at >= o.at && p.at <= o.at + 100 {
                want.push((o.id, p.at, p.cents));
            }
        }
    }
    want.sort_unstable();
    assert!(want.len() > 100, "{} pairs", want.len());
    for cores in [1, 2, 4] {
        let p = stream! {
            let orders = Order -> event_time(|o| o.at, lateness = 40ms) -> key_by(|o| o.user);
            let payments = Payment -> event_time(|p| p.at, lateness = 40ms) -> key_by(|p| p.user);
            join(orders, payments, |o, p| (o.id, p.at, p.cents), between = (0ms, 100ms))
        };
        let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
        feed(
            &rt,
            &shuffled(&orders, 20, cores as u64),
            &shuffled(&payments, 20, 7 + cores as u64),
        );
        let mut out = Vec::new();
        let report = rt.finish_into(&mut out).expect("finish");
        out.sort_unstable();
        assert_eq!(report.late(), 0, "{cores} cores");
        assert_eq!(out, want, "{cores} cores");
    }
}

#[test]
fn a_left_join_emits_each_unpaired_order_once() {
    let (orders, payments) = (orders(), payments());
    let mut want: Vec<(u64, Option<u64>)> = Vec::new();
    for o in &orders {
        let before = want.len();
        for p in &payments {
            if p.user == o.user && p.at + 10 >= o.at && p.at <= o.at + 10 {
                want.push((o.id, Some(p.at)));
            }
        }
        if want.len() == before {
            want.push((o.id, None));
        }
    }
    want.sort_unstable();
    for cores in [1, 2, 4] {
        let p = stream! {
            let orders = Order -> event_time(|o| o.at, lateness = 40ms) -> key_by(|o| o.user);
            let payments = Payment -> event_time(|p| p.at, lateness = 40ms) -> key_by(|p| p.user);
            left_join(orders, payments, |o, p: Option<&Payment>| (o.id, p.map(|p| p.at)), between = (-10ms, 10ms))
        };
        let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
        feed(
            &rt,
            &shuffled(&orders, 20, 3 + cores as u64),
            &shuffled(&payments, 20, 5 + cores as u64),
        );
        let mut out = Vec::new();
        rt.finish_into(&mut out).expect("finish");
        out.sort_unstable();
        assert_eq!(out, want, "{cores} cores");
    }
}

#[test]
fn a_window_join_pairs_rows_of_a_key_in_each_window() {
    let (orders, payments) = (orders(), payments());
    let mut want: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    for o in &orders {
        for p in &payments {
            if p.user == o.user && o.at / 50 == p.at / 50 {
                *want.entry((o.user, o.at / 50 * 50)).or_insert(0) += 1;
            }
        }
    }
    for cores in [1, 2, 4] {
        let p = stream! {
            let orders = Order -> event_time(|o| o.at, lateness = 40ms) -> key_by(|o| o.user);
            let payments = Payment -> event_time(|p| p.at, lateness = 40ms) -> map(|p| p) -> key_by(|p| p.user);
            join(orders, payments, |o, p| (o.user, o.id, p.at), window = tumbling(50ms))
                -> key_by(|(user, _, _)| *user)
                -> window(tumbling(50ms))
                -> aggregate(count())
        };
        let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
        feed(
            &rt,
            &shuffled(&orders, 20, 11 + cores as u64),
            &shuffled(&payments, 20, 13 + cores as u64),
        );
        let mut out = Vec::new();
        rt.finish_into(&mut out).expect("finish");
        let got: BTreeMap<(u64, u64), u64> =
            out.iter().map(|w| ((w.key, w.start), w.value)).collect();
        assert_eq!(got, want, "{cores} cores");
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Rate {
    user: u64,
    tier: u64,
    at: u64,
}

#[test]
fn a_stream_table_join_reads_the_table_as_of_each_rows_time() {
    let orders = orders();
    // Each user's tier changes now and then; some users are deleted.
    let mut rng = Rng::new(17);
    let changes: Vec<(u64, Rates)> = (0..N / 4)
        .map(|i| {
            let at = i * 8 + 3;
            let user = rng.below(500);
            let change = if rng.below(10) == 0 {
                Change::Delete(user)
            } else {
                Change::Upsert(
                    user,
                    Rate {
                        user,
                        tier: rng.below(5),
                        at,
                    },
                )
            };
            (at, change)
        })
        .collect();
    // The reference: the latest change of the order's user at or before
    // the order's time.
    let mut want: Vec<(u64, Option<u64>)> = orders
        .iter()
        .map(|o| {
            let tier = changes
                .iter()
                .rev()
                .find(|(at, c)| *c.key() == o.user && *at <= o.at)
                .and_then(|(_, c)| match c {
                    Change::Upsert(_, r) => Some(r.tier),
                    Change::Delete(_) => None,
                });
            (o.id, tier)
        })
        .collect();
    want.sort_unstable();
    let inner: Vec<(u64, Option<u64>)> =
        want.iter().filter(|(_, t)| t.is_some()).copied().collect();
    assert!(
        inner.len() > N as usize / 2 && inner.len() < N as usize,
        "{}",
        inner.len()
    );
    for cores in [1, 2, 4] {
        let o = shuffled(&orders, 20, 31 + cores as u64);
        let c = shuffled(&changes, 5, 37 + cores as u64);
        let p = stream! {
            let orders = Order -> event_time(|o| o.at, lateness = 40ms) -> key_by(|o| o.user);
            let rates = (u64, Rates) -> event_time(|(at, _)| *at, lateness = 40ms) -> map(|(_, c)| c) -> key_by(|c| *c.key());
            join(orders, table(rates), |o, r| (o.id, Some(r.tier)))
        };
        assert_eq!(run_table(p, cores, &o, &c), inner, "{cores} cores, inner");
        let p = stream! {
            let orders = Order -> event_time(|o| o.at, lateness = 40ms) -> key_by(|o| o.user);
            let rates = (u64, Rates) -> event_time(|(at, _)| *at, lateness = 40ms) -> map(|(_, c)| c) -> key_by(|c| *c.key());
            left_join(orders, table(rates), |o, r: Option<&Rate>| (o.id, r.map(|r| r.tier)))
        };
        assert_eq!(run_table(p, cores, &o, &c), want, "{cores} cores, left");
    }
}

type Rates = Change<u64, Rate>;

/// Runs a join of orders with a table of rates; its sorted results.
fn run_table<P>(
    p: P,
    cores: usize,
    orders: &[Order],
    changes: &[(u64, Rates)],
) -> Vec<(u64, Option<u64>)>
where
    P: laminar::Pipeline<In = Either<Order, (u64, Rates)>, Out = (u64, Option<u64>)>,
{
    let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
    let mut o = rt.port::<Order, _>();
    let mut r = rt.port::<(u64, Rates), _>();
    for (os, cs) in orders.chunks(400).zip(changes.chunks(100)) {
        o.submit_iter(os.iter().copied()).expect("orders");
        r.submit_iter(cs.iter().copied()).expect("changes");
    }
    drop((o, r));
    let mut out = Vec::new();
    let report = rt.finish_into(&mut out).expect("finish");
    assert_eq!(report.late(), 0);
    out.sort_unstable();
    out
}

/// Waits until every core's watermark reached `at` (the state the test
/// needs, not a time); fails after 30 s.
fn wait_for_watermark<P: laminar::Pipeline>(rt: &Runtime<P>, at: u64) {
    let started = std::time::Instant::now();
    while rt.progress().watermark.is_none_or(|w| w < at) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the watermark did not reach {at}: {:?}",
            rt.progress()
        );
        std::thread::yield_now();
    }
}

#[test]
fn late_rows_of_either_side_come_back_as_submitted_and_are_counted() {
    let p = stream! {
        let orders = Order -> event_time(|o| o.at) -> key_by(|o| o.user);
        let payments = Payment -> event_time(|p| p.at) -> key_by(|p| p.user);
        join(orders, payments, |o, p| (o.id, p.cents), between = (0ms, 100ms))
    };
    let rt = Runtime::builder().cores(2).build(p).expect("runtime");
    let mut o = rt.port::<Order, _>();
    let mut p = rt.port::<Payment, _>();
    o.submit(Order {
        id: 1,
        user: 4,
        at: 10,
    })
    .expect("order");
    p.submit(Payment {
        user: 4,
        cents: 70,
        at: 50,
    })
    .expect("payment");
    o.advance_watermark(1_000).expect("orders' watermark");
    p.advance_watermark(1_000).expect("payments' watermark");
    wait_for_watermark(&rt, 1_000);
    let late_order = Order {
        id: 2,
        user: 4,
        at: 20,
    };
    let late_payment = Payment {
        user: 4,
        cents: 9,
        at: 30,
    };
    o.submit(late_order).expect("late order");
    p.submit(late_payment).expect("late payment");
    drop((o, p));
    let (mut out, mut late) = (Vec::new(), Vec::new());
    let report = rt.finish_with_late(&mut out, &mut late).expect("finish");
    assert_eq!(out, [(1, 70)]);
    assert_eq!(report.late(), 2);
    late.sort_by_key(|e| matches!(e, Either::Right(_)));
    assert_eq!(
        late,
        [Either::Left(late_order), Either::Right(late_payment)]
    );
}

#[test]
fn an_interval_join_holds_at_most_the_rows_of_its_interval() {
    use laminar::operator::Operator;
    use laminar_runtime::stage::timed::Timed;
    use laminar_runtime::stage::{Inner, IntervalJoin};
    // 1M rows, one per millisecond per side over 500 s of event time, 1,000
    // keys; a 10 s interval; the watermark trails the newest row by 100 ms
    // and moves every 1,000 rows.
    let mut join = IntervalJoin::new(
        |o: &Order| o.user,
        |p: &Payment| p.user,
        Inner(|o: &Order, p: &Payment| (o.id, p.cents)),
        0,
        10_000,
    );
    let mut out: Vec<Timed<(u64, u64)>> = Vec::new();
    let mut paired = 0usize;
    for i in 0..500_000u64 {
        let order = Order {
            id: i,
            user: i % 1_000,
            at: i,
        };
        let payment = Payment {
            user: (i * 7) % 1_000,
            cents: i,
            at: i,
        };
        join.on_event(
            Timed {
                ts: i,
                value: Either::Left(order),
            },
            &mut out,
        );
        join.on_event(
            Timed {
                ts: i,
                value: Either::Right(payment),
            },
            &mut out,
        );
        if i % 500 == 0 {
            join.on_watermark(i.saturating_sub(100), &mut out);
            paired += out.len();
            out.clear();
        }
    }
    println!(
        "held {} rows after 1M, at most {} at once; {paired} pairs",
        join.held(),
        join.peak()
    );
    assert!(paired > 1_000_000, "rows paired: {paired}");
    // Left rows live 10 s past their time, right rows until the watermark
    // passes them: the rate (1 row/ms a side) times the interval, plus the
    // watermark's lag (100 ms and a step of 500) on both sides.
    let bound = 10_000 + 2 * (100 + 500) + 2;
    assert!(join.peak() <= bound, "peak {} > {bound}", join.peak());
    assert!(join.held() <= bound, "held {} > {bound}", join.held());
}

#[test]
fn an_idle_side_does_not_freeze_a_left_join() {
    let p = stream! {
        let orders = Order -> event_time(|o| o.at, idle = 20ms) -> key_by(|o| o.user);
        let payments = Payment -> event_time(|p| p.at, idle = 20ms) -> key_by(|p| p.user);
        left_join(orders, payments, |o, p: Option<&Payment>| (o.id, p.is_some()), between = (0ms, 10ms))
    };
    let mut rt = Runtime::builder().cores(2).build(p).expect("runtime");
    let output = rt.output().expect("output");
    let mut o = rt.port::<Order, _>();
    let mut p = rt.port::<Payment, _>();
    p.submit(Payment {
        user: 0,
        cents: 1,
        at: 0,
    })
    .expect("one payment");
    p.flush();
    // The payments handle stays open and silent; orders go on.
    o.submit_iter((0..1_000).map(|i| Order {
        id: i,
        user: i % 50,
        at: i,
    }))
    .expect("orders");
    o.flush();
    let mut got = 0;
    let mut output = output;
    while got < 900 {
        match output.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(_) => got += 1,
            Err(e) => panic!("after {got} rows, the join waited on the silent side: {e}"),
        }
    }
    drop((o, p));
    rt.finish().expect("finish");
}
