//! Several named streams in one `stream!`: inputs with their own handles
//! (ports), `union`, fan-out to side sinks. Each query is checked against a
//! plain single-threaded reference on 1, 2 and 4 cores, with input shuffled
//! within the lateness.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use laminar::prelude::*;
use laminar::{SubmitError, source};

use common::jitter as shuffled;
use common::nexmark::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Click {
    user: u64,
    at: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Purchase {
    user: u64,
    cents: u64,
    at: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Signup {
    user: u64,
    at: u64,
}

/// One user's activity of any kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Activity {
    user: u64,
    at: u64,
}

const N: u64 = 100_000;
const LATENESS: u64 = 50;
const WINDOW: u64 = 10;

fn clicks() -> Vec<Click> {
    let mut rng = Rng::new(7);
    (0..N)
        .map(|i| Click {
            user: rng.below(97),
            at: i,
        })
        .collect()
}

fn purchases() -> Vec<Purchase> {
    let mut rng = Rng::new(11);
    (0..N)
        .map(|i| Purchase {
            user: rng.below(89),
            cents: rng.below(4),
            at: i,
        })
        .collect()
}

/// Count per (user, window start), from activities.
fn reference(activities: impl IntoIterator<Item = Activity>) -> BTreeMap<(u64, u64), u64> {
    let mut counts = BTreeMap::new();
    for a in activities {
        *counts.entry((a.user, a.at - a.at % WINDOW)).or_insert(0) += 1;
    }
    counts
}

fn got(out: &[Windowed<u64, u64>]) -> BTreeMap<(u64, u64), u64> {
    let mut counts = BTreeMap::new();
    for w in out {
        assert!(
            counts.insert((w.key, w.start), w.value).is_none(),
            "window ({}, {}) fired twice",
            w.key,
            w.start
        );
    }
    counts
}

/// Submits both inputs through their own handles, interleaved in chunks,
/// each from its own thread.
fn feed<P>(rt: &Runtime<P>, clicks: &[Click], purchases: &[Purchase])
where
    P: laminar::Pipeline<In = laminar::dsl::Either<Click, Purchase>>,
{
    let mut c = rt.port::<Click, _>();
    let mut p = rt.port::<Purchase, _>();
    std::thread::scope(|s| {
        s.spawn(|| {
            for chunk in clicks.chunks(1000) {
                c.submit_iter(chunk.iter().copied()).expect("clicks");
            }
            drop(c);
        });
        s.spawn(|| {
            for chunk in purchases.chunks(1000) {
                p.submit_iter(chunk.iter().copied()).expect("purchases");
            }
            drop(p);
        });
    });
}

fn activity_of_clicks(clicks: &[Click]) -> impl Iterator<Item = Activity> + '_ {
    clicks.iter().map(|c| Activity {
        user: c.user,
        at: c.at,
    })
}

fn activity_of_purchases(purchases: &[Purchase]) -> impl Iterator<Item = Activity> + '_ {
    purchases.iter().filter(|p| p.cents > 0).map(|p| Activity {
        user: p.user,
        at: p.at,
    })
}

#[test]
fn a_union_of_two_inputs_matches_the_reference_on_1_2_and_4_cores() {
    let (clicks, purchases) = (clicks(), purchases());
    let want = reference(activity_of_clicks(&clicks).chain(activity_of_purchases(&purchases)));
    for cores in [1, 2, 4] {
        let p = stream! {
            let clicks = Click
                -> event_time(|c| c.at, lateness = 50ms)
                -> map(|c| Activity { user: c.user, at: c.at });
            let buys = Purchase
                -> event_time(|p| p.at, lateness = 50ms)
                -> filter(|p| p.cents > 0)
                -> map(|p| Activity { user: p.user, at: p.at });
            union(clicks, buys)
                -> key_by(|a| a.user)
                -> window(tumbling(10ms))
                -> aggregate(count())
        };
        let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
        feed(
            &rt,
            &shuffled(&clicks, LATENESS, cores as u64),
            &shuffled(&purchases, LATENESS, 100 + cores as u64),
        );
        let mut out = Vec::new();
        let report = rt.finish_into(&mut out).expect("finish");
        assert_eq!(
            report.late(),
            0,
            "{cores} cores: shuffled within the lateness"
        );
        assert_eq!(got(&out), want, "{cores} cores");
    }
}

#[test]
fn a_union_whose_side_holds_an_exchange_matches_the_reference() {
    // The clicks side re-keys after a `map` (an exchange), so its time is
    // decided by the exchange; the union passes the lower of both sides'.
    let (clicks, purchases) = (clicks(), purchases());
    let want = reference(
        activity_of_clicks(&clicks)
            .filter(|a| a.user % 2 == 0)
            .chain(activity_of_purchases(&purchases)),
    );
    for cores in [1, 2, 4] {
        let p = stream! {
            let clicks = Click
                -> event_time(|c| c.at, lateness = 50ms)
                -> map(|c| Activity { user: c.user, at: c.at })
                -> key_by(|a| a.user % 8)
                -> filter(|a| a.user % 2 == 0);
            let buys = Purchase
                -> event_time(|p| p.at, lateness = 50ms)
                -> filter(|p| p.cents > 0)
                -> map(|p| Activity { user: p.user, at: p.at });
            union(clicks, buys)
                -> key_by(|a| a.user)
                -> window(tumbling(10ms))
                -> aggregate(count())
        };
        let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
        feed(
            &rt,
            &shuffled(&clicks, LATENESS, 3 + cores as u64),
            &shuffled(&purchases, LATENESS, 300 + cores as u64),
        );
        let mut out = Vec::new();
        let report = rt.finish_into(&mut out).expect("finish");
        assert_eq!(report.late(), 0, "{cores} cores");
        assert_eq!(got(&out), want, "{cores} cores");
        if cores > 1 {
            assert!(report.shuffled() > 0, "the clicks side crossed cores");
        }
    }
}

#[test]
fn three_inputs_each_with_its_handle_or_source() {
    let (clicks, purchases) = (clicks(), purchases());
    let signups: Vec<Signup> = (0..N / 10)
        .map(|i| Signup {
            user: i % 50,
            at: i * 10,
        })
        .collect();
    let mut want = reference(activity_of_clicks(&clicks).chain(activity_of_purchases(&purchases)));
    for s in &signups {
        *want.entry((s.user, s.at - s.at % WINDOW)).or_insert(0) += 1;
    }
    for cores in [1, 2, 4] {
        let p = stream! {
            let clicks = Click -> event_time(|c| c.at) -> map(|c| Activity { user: c.user, at: c.at });
            let buys = Purchase -> event_time(|p| p.at) -> filter(|p| p.cents > 0)
                -> map(|p| Activity { user: p.user, at: p.at });
            let signups = Signup -> event_time(|s| s.at) -> map(|s| Activity { user: s.user, at: s.at });
            union(clicks, buys, signups)
                -> key_by(|a| a.user)
                -> window(tumbling(10ms))
                -> aggregate(count())
        };
        let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
        // Signups come from a source inside the cores, the others from
        // handles. The handles are opened first: a source attached before
        // them could move the cores' watermark past their first events
        // (the watermark is the lowest over the inputs open at the time),
        // making those late.
        let mut c = rt.port::<Click, _>();
        let mut b = rt.port::<Purchase, _>();
        let from_source: Arc<[Signup]> = signups.clone().into();
        rt.attach_port::<Signup, _, _>(source::from_slice(from_source));
        for (cs, ps) in clicks.chunks(500).zip(purchases.chunks(500)) {
            c.submit_iter(cs.iter().copied()).expect("clicks");
            b.submit_iter(ps.iter().copied()).expect("purchases");
        }
        drop((c, b));
        let mut out = Vec::new();
        let report = rt.finish_into(&mut out).expect("finish");
        assert_eq!(report.read(), N / 10, "{cores} cores: the source's signups");
        assert_eq!(report.late(), 0, "{cores} cores");
        assert_eq!(got(&out), want, "{cores} cores");
    }
}

#[test]
fn a_side_sink_sees_every_record_and_the_trunk_goes_on() {
    let clicks = clicks();
    let want = reference(activity_of_clicks(&clicks).filter(|a| a.user != 3));
    for cores in [1, 2, 4] {
        let seen = Arc::new(AtomicU64::new(0));
        let windows = Arc::new(AtomicU64::new(0));
        let (s, w) = (seen.clone(), windows.clone());
        let p = stream! {
            let clicks = Click
                -> event_time(|c| c.at, lateness = 50ms)
                -> filter(|c| c.user != 3)
                -> map(|c| Activity { user: c.user, at: c.at });
            clicks -> for_each(move |_| { s.fetch_add(1, Ordering::Relaxed); });
            // A side branch with its own exchange and window.
            clicks
                -> key_by(|a| a.user % 5)
                -> window(tumbling(10ms))
                -> aggregate(count())
                -> for_each(move |win| { w.fetch_add(win.value, Ordering::Relaxed); });
            clicks -> key_by(|a| a.user) -> window(tumbling(10ms)) -> aggregate(count())
        };
        let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
        let mut input = rt.port::<Click, _>();
        input
            .submit_iter(shuffled(&clicks, LATENESS, 9 + cores as u64))
            .expect("submit");
        drop(input);
        let mut out = Vec::new();
        rt.finish_into(&mut out).expect("finish");
        let kept: u64 = want.values().sum();
        assert_eq!(got(&out), want, "{cores} cores: the trunk");
        assert_eq!(
            seen.load(Ordering::Relaxed),
            kept,
            "{cores} cores: the sink"
        );
        assert_eq!(
            windows.load(Ordering::Relaxed),
            kept,
            "{cores} cores: the windowed side branch counted every record once"
        );
    }
}

#[test]
fn late_records_after_a_union_are_counted_not_lost() {
    let p = stream! {
        let clicks = Click -> event_time(|c| c.at) -> map(|c| Activity { user: c.user, at: c.at });
        let buys = Purchase -> event_time(|p| p.at) -> map(|p| Activity { user: p.user, at: p.at });
        union(clicks, buys) -> key_by(|a| a.user) -> window(tumbling(10ms)) -> aggregate(count())
    };
    let rt = Runtime::builder().cores(1).build(p).expect("runtime");
    // One handle: its watermark, in band on its own channel, is the
    // core's, so the late click is late whatever the scheduling.
    let mut c = rt.port::<Click, _>();
    c.submit_iter((0..200).map(|at| Click { user: 1, at }))
        .expect("clicks");
    c.advance_watermark(199).expect("watermark");
    c.submit(Click { user: 1, at: 5 }).expect("late click");
    drop(c);
    let mut out = Vec::new();
    let report = rt.finish_into(&mut out).expect("finish");
    let counted: u64 = out.iter().map(|w| w.value).sum();
    assert_eq!(counted + report.late(), 201, "every record counted or late");
    assert_eq!(report.late(), 1);
}

#[test]
fn a_port_handle_gives_back_its_own_event_when_refused() {
    let p = stream! {
        let clicks = Click -> map(|c| c.user);
        let buys = Purchase -> map(|p| p.user);
        union(clicks, buys)
    };
    let rt = Runtime::builder().cores(2).build(p).expect("runtime");
    let mut b = rt.port::<Purchase, _>();
    b.submit(Purchase {
        user: 1,
        cents: 1,
        at: 0,
    })
    .expect("open");
    let mut out = Vec::new();
    rt.finish_into(&mut out).expect("finish");
    assert_eq!(out, [1]);
    let refused = Purchase {
        user: 2,
        cents: 3,
        at: 4,
    };
    match b.submit(refused) {
        Err(SubmitError::Closed(back)) => assert_eq!(back, refused),
        other => panic!("expected Closed with the purchase back, got {other:?}"),
    }
}

#[test]
fn describe_draws_inputs_unions_and_fan_out() {
    let p = stream! {
        let clicks = Click -> event_time(|c| c.at) -> map(|c| Activity { user: c.user, at: c.at });
        let buys = Purchase -> event_time(|p| p.at) -> map(|p| Activity { user: p.user, at: p.at });
        buys -> for_each(|_| {});
        union(clicks, buys) -> key_by(|a| a.user) -> window(tumbling(10ms)) -> aggregate(count())
    };
    let chart = p.describe();
    assert!(chart.contains("[/\"Click\"/]"), "{chart}");
    assert!(chart.contains("[/\"Purchase\"/]"), "{chart}");
    assert!(chart.contains("((\"union\"))"), "{chart}");
    assert!(chart.contains("-.->|\"fan-out\"|"), "{chart}");
    assert!(
        chart.contains("==>|\"key_by(|a| a.user): exchange\"|"),
        "{chart}"
    );
    assert!(chart.contains("output[(\"outboxes\")]"), "{chart}");
}

#[test]
fn a_late_record_of_a_window_inside_a_side_comes_back_as_submitted() {
    let p = stream! {
        let clicks = Click -> event_time(|c| c.at) -> map(|c| (c.user, 1u64));
        let buys = Purchase
            -> event_time(|p| p.at)
            -> key_by(|p| p.user)
            -> window(tumbling(10ms))
            -> aggregate(count())
            -> map(|w| (w.key, w.value));
        union(clicks, buys)
    };
    let rt = Runtime::builder().cores(1).build(p).expect("runtime");
    let mut b = rt.port::<Purchase, _>();
    b.submit_iter((0..100).map(|at| Purchase {
        user: 1,
        cents: 1,
        at,
    }))
    .expect("buys");
    b.advance_watermark(99).expect("watermark");
    let late = Purchase {
        user: 1,
        cents: 5,
        at: 3,
    };
    b.submit(late).expect("late buy");
    drop(b);
    let (mut out, mut lates) = (Vec::new(), Vec::new());
    let report = rt.finish_with_late(&mut out, &mut lates).expect("finish");
    assert_eq!(out.iter().map(|(_, n)| n).sum::<u64>(), 100);
    assert_eq!(report.late(), 1);
    assert_eq!(lates, [laminar::port::Either::Right(late)]);
}

#[test]
fn nexmark_activity_of_persons_and_auctions_matches_the_reference() {
    use laminar_examples::nexmark_events::{
        Auction, Person, activity, activity_reference, auctions, events, persons,
    };
    let all = events(100_000, 10_000);
    let (people, sales) = (persons(&all), auctions(&all));
    let want = activity_reference(&people, &sales);
    let in_10 = sales.iter().filter(|a| a.category == 10).count() as u64;
    for cores in [1, 2, 4] {
        let category_10 = Arc::new(AtomicU64::new(0));
        let rt = Runtime::builder()
            .cores(cores)
            .build(activity(category_10.clone()))
            .expect("runtime");
        let mut p = rt.port::<Person, _>();
        let mut a = rt.port::<Auction, _>();
        for (ps, as_) in people.chunks(100).zip(sales.chunks(300)) {
            p.submit_iter(ps.iter().copied()).expect("persons");
            a.submit_iter(as_.iter().copied()).expect("auctions");
        }
        drop((p, a));
        let mut out = Vec::new();
        rt.finish_into(&mut out).expect("finish");
        let mut got: Vec<(u64, u64, u64)> = out.iter().map(|w| (w.key, w.start, w.value)).collect();
        got.sort_unstable();
        assert_eq!(got, want, "{cores} cores");
        assert_eq!(
            category_10.load(Ordering::Relaxed),
            in_10,
            "{cores} cores: the side sink"
        );
    }
}

/// The outputs of [`three_outputs`], in the order `(a, b, c)` names them.
type ThreeOutputs =
    laminar::port::Either<u64, laminar::port::Either<Windowed<u64, u64>, (u64, u64)>>;

/// Three outputs from one stream of clicks: the big users, counts per
/// window, every click's time.
fn three_outputs() -> impl laminar::Pipeline<In = Click, Out = ThreeOutputs> {
    stream! {
        let clicks = Click -> event_time(|c| c.at, lateness = 50ms) -> filter(|c| c.user != 3);
        let big = clicks -> filter(|c| c.user > 90) -> map(|c| c.user);
        let counts = clicks -> key_by(|c| c.user % 4) -> window(tumbling(10ms)) -> aggregate(count());
        let times = clicks -> map(|c| (c.user, c.at));
        (big, counts, times)
    }
}

#[test]
fn several_outputs_each_read_through_its_own_handle_on_its_own_thread() {
    let clicks = clicks();
    let kept: Vec<&Click> = clicks.iter().filter(|c| c.user != 3).collect();
    let big_want = kept.iter().filter(|c| c.user > 90).count();
    let mut counts_want: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    for c in &kept {
        *counts_want
            .entry((c.user % 4, c.at - c.at % WINDOW))
            .or_insert(0) += 1;
    }
    for cores in [1, 2, 4] {
        let mut rt = Runtime::builder()
            .cores(cores)
            .outbox_capacity(64)
            .build(three_outputs())
            .expect("runtime");
        let mut big = rt.output_port::<u64, _>().expect("big");
        let mut counts = rt.output_port::<Windowed<u64, u64>, _>().expect("counts");
        let times = rt.output_port::<(u64, u64), _>().expect("times");
        assert!(
            rt.output_port::<u64, _>().is_err(),
            "each output has one handle"
        );
        let (got_big, got_counts, got_times) = std::thread::scope(|s| {
            let b = s.spawn(move || big.by_ref().count());
            let w = s.spawn(move || got(&counts.by_ref().collect::<Vec<_>>()));
            let t = s.spawn(move || times.count());
            let mut input = rt.input();
            input
                .submit_iter(shuffled(&clicks, LATENESS, 21 + cores as u64))
                .expect("submit");
            drop(input);
            let report = rt.finish().expect("finish");
            assert_eq!(report.outputs_unread(), 0, "{cores} cores");
            (b.join().unwrap(), w.join().unwrap(), t.join().unwrap())
        });
        assert_eq!(got_big, big_want, "{cores} cores: big users");
        assert_eq!(got_counts, counts_want, "{cores} cores: counts");
        assert_eq!(got_times, kept.len(), "{cores} cores: times");
    }
}

#[test]
fn a_dropped_output_handle_never_stalls_the_others_and_is_counted() {
    let clicks = clicks();
    let kept = clicks.iter().filter(|c| c.user != 3).count();
    let mut rt = Runtime::builder()
        .cores(2)
        .outbox_capacity(16)
        .build(three_outputs())
        .expect("runtime");
    let big = rt.output_port::<u64, _>().expect("big");
    let counts = rt.output_port::<Windowed<u64, u64>, _>().expect("counts");
    let times = rt.output_port::<(u64, u64), _>().expect("times");
    drop(big);
    drop(counts);
    let reader = std::thread::spawn(move || times.count());
    let mut input = rt.input();
    input.submit_iter(clicks.iter().copied()).expect("submit");
    drop(input);
    let report = rt.finish().expect("finish");
    assert_eq!(
        reader.join().unwrap(),
        kept,
        "the remaining handle read all"
    );
    let big = clicks.iter().filter(|c| c.user > 90).count() as u64;
    let windows = report.events_out() - kept as u64 - big;
    assert_eq!(
        report.outputs_unread(),
        big + windows,
        "what the dropped handles' outputs emitted is counted, not lost"
    );
}
