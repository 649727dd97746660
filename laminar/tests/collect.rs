//! The README's pattern: submit everything from one thread, drop the input,
//! then `finish_into`. With nobody reading while the events go in, every
//! core's outbox and late outbox fill long before the input ends; the run
//! must still finish with every result and every late event, on 1 and 2
//! cores with the default capacities. (It hung once a core's results
//! exceeded its outbox plus its queue.)

use laminar::prelude::*;

/// (key, timestamp in ms)
type Ev = (u64, u64);

const RESULTS: u64 = 2_000_000;
const LATE: u64 = 200_000;

fn pipeline() -> impl Pipeline<In = Ev, Out = Windowed<u64, u64>> {
    stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(tumbling(10ms))
        -> aggregate(count())
    }
}

/// Every key once, in time order, so every key's window holds one event and
/// each closes as time moves on: one result per event. Then `LATE` events
/// far behind the watermark.
fn events() -> impl Iterator<Item = Ev> {
    (0..RESULTS)
        .map(|k| (k, 1_000 + k / 100))
        .chain((0..LATE).map(|k| (k, 0)))
}

#[test]
fn finish_into_collects_every_result_and_counts_every_late_event() {
    for cores in [1, 2] {
        let rt = Runtime::builder()
            .cores(cores)
            .build(pipeline())
            .expect("runtime");
        let mut input = rt.input();
        let admitted = input.submit_iter(events()).expect("submit");
        assert_eq!(admitted.queued as u64, RESULTS + LATE);
        drop(input);
        let mut out = Vec::new();
        let report = rt.finish_into(&mut out).expect("finish");
        assert_eq!(out.len() as u64, RESULTS, "{cores} cores");
        assert!(out.iter().all(|w| w.value == 1));
        let mut keys: Vec<u64> = out.iter().map(|w| w.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len() as u64, RESULTS, "a key twice or missing");
        assert_eq!(report.late(), LATE);
        // Not collected by `finish_into`, but counted.
        let late_unread: u64 = report.cores.iter().map(|c| c.late_unread).sum();
        assert_eq!(late_unread, LATE);
    }
}

#[test]
fn finish_with_late_collects_every_late_event_too() {
    for cores in [1, 2] {
        let rt = Runtime::builder()
            .cores(cores)
            .build(pipeline())
            .expect("runtime");
        let mut input = rt.input();
        input.submit_iter(events()).expect("submit");
        drop(input);
        let (mut out, mut late) = (Vec::new(), Vec::new());
        let report = rt.finish_with_late(&mut out, &mut late).expect("finish");
        assert_eq!(out.len() as u64, RESULTS, "{cores} cores");
        assert_eq!(late.len() as u64, LATE, "{cores} cores");
        late.sort_unstable();
        assert!(late.iter().enumerate().all(|(i, e)| *e == (i as u64, 0)));
        assert_eq!(report.late(), LATE);
        assert_eq!(report.outputs_unread(), 0);
    }
}

#[test]
fn results_drained_while_running_keep_each_cores_order() {
    // One core, results in submission order: whatever part of them went
    // through the overflow, the order of one core's results holds.
    let p = stream! { u64 -> map(|x| x) };
    let mut rt = Runtime::builder()
        .cores(1)
        .outbox_capacity(64)
        .build(p)
        .expect("runtime");
    let mut input = rt.input();
    let mut out = Vec::new();
    for chunk in 0..100u64 {
        input
            .submit_iter(chunk * 1_000..(chunk + 1) * 1_000)
            .expect("submit");
        if chunk % 7 == 0 {
            rt.drain(&mut out);
        }
    }
    drop(input);
    rt.finish_into(&mut out).expect("finish");
    assert_eq!(out, (0..100_000).collect::<Vec<u64>>());
}
