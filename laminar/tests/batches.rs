//! `submit_iter` under `Policy::Block` moves events to the cores in
//! batches: one ring message, one credit acquisition and one publish per
//! batch rather than per event. Counted here in messages, not timed, on 1
//! and 2 cores, with event time (whose watermarks cut batches short) and
//! without; and every event still arrives once, in order per core.

use laminar::prelude::*;

const N: u64 = 200_000;

#[test]
fn a_batch_is_one_message_for_many_events() {
    for cores in [1, 2] {
        let p = stream! { u64 -> map(|x| x) };
        let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
        let mut input = rt.input();
        let n = input.submit_iter(0..N).expect("submit");
        assert_eq!(n.queued as u64, N);
        drop(input);
        let mut out = Vec::new();
        let report = rt.finish_into(&mut out).expect("finish");
        out.sort_unstable();
        assert_eq!(out, (0..N).collect::<Vec<_>>());
        let messages: u64 = report.cores.iter().map(|c| c.messages).sum();
        // 256 events a batch, one partial batch per core at the end.
        assert!(
            messages <= N / 256 + cores as u64,
            "{cores} cores: {messages} messages for {N} events"
        );
    }
}

#[test]
fn watermarks_cut_batches_but_stay_behind_their_events() {
    type Ev = (u64, u64); // key, ms
    for cores in [1, 2] {
        let p = stream! {
            Ev
            -> event_time(|e| e.1)
            -> key_by(|e| e.0 % 16)
            -> window(tumbling(100ms))
            -> aggregate(count())
        };
        let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
        let mut input = rt.input();
        // One event per millisecond, in order: nothing is late if every
        // watermark travels behind the events it covers.
        input.submit_iter((0..N).map(|t| (t, t))).expect("submit");
        drop(input);
        let (mut out, mut late) = (Vec::new(), Vec::new());
        let report = rt.finish_with_late(&mut out, &mut late).expect("finish");
        assert!(late.is_empty(), "{} late events", late.len());
        assert_eq!(out.iter().map(|w| w.value).sum::<u64>(), N);
        let messages: u64 = report.cores.iter().map(|c| c.messages).sum();
        let watermarks: u64 = report.cores.iter().map(|c| c.watermarks).sum();
        let data = messages - watermarks;
        assert!(
            data <= N / 64,
            "{cores} cores: {data} data messages for {N} events"
        );
    }
}
