//! Idle inputs: with `event_time(.., idle = d)`, an input handle silent for
//! `d` stops holding the core's watermark back; once every input is idle,
//! the highest of their watermarks passes on (Flink's watermark valve), so
//! windows fire while the handles stay open and silent. Before, time stood
//! still once all inputs were idle, and these windows waited for `finish`.

use laminar::prelude::*;

#[derive(Clone, Copy, Debug)]
struct Click {
    user: u64,
    at: u64,
}

#[test]
fn windows_fire_while_every_open_handle_is_silent() {
    let p = stream! {
        Click
        -> event_time(|c| c.at, idle = 20ms)
        -> key_by(|c| c.user)
        -> window(tumbling(10ms))
        -> aggregate(count())
    };
    for cores in [1, 2] {
        let mut rt = Runtime::builder()
            .cores(cores)
            .build(p.clone())
            .expect("runtime");
        let mut output = rt.output().expect("output");
        let mut busy = rt.input();
        let mut quiet = rt.input();
        quiet.submit(Click { user: 0, at: 0 }).expect("one click");
        busy.submit_iter((0..1_000).map(|at| Click { user: at % 50, at }))
            .expect("clicks");
        busy.flush();
        // Both handles stay open; both fall silent. Every window below the
        // busy handle's watermark (999) must fire before `finish`.
        let mut counted = 0;
        while counted < 990 {
            let w = output
                .recv_timeout(std::time::Duration::from_secs(30))
                .unwrap_or_else(|e| panic!("{cores} cores: after {counted} events counted, {e}"));
            counted += w.value;
        }
        drop((busy, quiet));
        let report = rt.finish().expect("finish");
        counted += output.map(|w| w.value).sum::<u64>();
        assert_eq!(counted, 1_001, "{cores} cores");
        assert_eq!(report.late(), 0);
    }
}
