//! Checkpoint barriers through `stream!` graphs: a union whose side holds
//! an exchange, a re-key, and a split into two outputs, checkpointed again
//! and again while two inputs are fed; every checkpoint completes on every
//! core, and the results are those of a run without checkpoints.

use std::collections::BTreeMap;

use laminar::prelude::*;

#[derive(Clone, Copy, Debug)]
struct Click {
    user: u64,
    at: u64,
}

#[derive(Clone, Copy, Debug)]
struct Buy {
    user: u64,
    at: u64,
}

type Outs = laminar::port::Either<Windowed<u64, u64>, u64>;

fn pipeline() -> impl laminar::Pipeline<In = laminar::port::Either<Click, Buy>, Out = Outs> {
    stream! {
        let clicks = Click -> event_time(|c| c.at) -> map(|c| (c.user, c.at)) -> key_by(|(u, _)| *u % 8);
        let buys = Buy -> event_time(|b| b.at) -> map(|b| (b.user, b.at));
        let all = union(clicks, buys);
        let counts = all -> key_by(|(u, _)| *u) -> window(tumbling(10ms)) -> aggregate(count());
        let users = all -> filter(|(u, _)| *u == 7) -> map(|(u, _)| u);
        (counts, users)
    }
}

fn run(cores: usize, checkpoints: u64) -> (BTreeMap<(u64, u64), u64>, usize) {
    let mut rt = Runtime::builder()
        .cores(cores)
        .queue_capacity(16)
        .build(pipeline())
        .expect("runtime");
    let mut clicks = rt.port::<Click, _>();
    let mut buys = rt.port::<Buy, _>();
    let feeder = std::thread::spawn(move || {
        for i in 0..20_000u64 {
            clicks
                .submit(Click {
                    user: i % 50,
                    at: i,
                })
                .expect("click");
            buys.submit(Buy {
                user: (i * 3) % 50,
                at: i,
            })
            .expect("buy");
        }
    });
    for epoch in 1..=checkpoints {
        assert_eq!(rt.checkpoint().expect("checkpoint"), epoch);
    }
    feeder.join().unwrap();
    let mut out = Vec::new();
    let report = rt.finish_into(&mut out).expect("finish");
    assert_eq!(report.late(), 0, "{cores} cores: late events");
    assert_eq!(report.checkpoints, checkpoints);
    assert!(report.cores.iter().all(|c| c.barriers == checkpoints));
    let mut counts = BTreeMap::new();
    let mut sevens = 0;
    for o in out {
        match o {
            laminar::port::Either::Left(w) => {
                counts.insert((w.key, w.start), w.value);
            }
            laminar::port::Either::Right(_) => sevens += 1,
        }
    }
    (counts, sevens)
}

#[test]
fn checkpoints_complete_through_unions_exchanges_and_splits() {
    let want = run(1, 0);
    assert_eq!(want.1, 800);
    for cores in [1, 2, 4] {
        assert_eq!(run(cores, 10), want, "{cores} cores");
    }
}
