//! Instructions the submitting thread spends per event, counted by
//! callgrind (the two threads' timing does not enter): 1M events through
//! an input handle into 2 cores, keyed, with event time, as `submit_iter`
//! batches or as single `submit`s.
//!
//! `valgrind --tool=callgrind --toggle-collect='*submit_icount*WAY*' target/release/submit_icount WAY`
//! with WAY `batched` or `single`; divide the count by 1M.

use laminar::prelude::*;

#[derive(Clone, Copy, Debug)]
struct Ev {
    key: u64,
    ts: u64,
}

const N: u64 = 1_000_000;

fn pipeline() -> impl Pipeline<In = Ev, Out = laminar::NoOutput> {
    stream! {
        Ev
        -> event_time(|e| e.ts, lateness = 1s)
        -> key_by(|e| e.key)
        -> for_each(|e| { std::hint::black_box(e); })
    }
}

#[inline(never)]
fn submit_batched<R: laminar::Route<Ev>>(input: &mut Input<Ev, R>) {
    input
        .submit_iter((0..N).map(|i| Ev {
            key: i % 1000,
            ts: i,
        }))
        .expect("submit");
}

#[inline(never)]
fn submit_single<R: laminar::Route<Ev>>(input: &mut Input<Ev, R>) {
    for i in 0..N {
        input
            .submit(Ev {
                key: i % 1000,
                ts: i,
            })
            .expect("submit");
    }
}

fn main() {
    let way = std::env::args().nth(1).unwrap_or_else(|| "batched".into());
    let rt = Runtime::builder()
        .cores(2)
        .build(pipeline())
        .expect("runtime");
    let mut input = rt.input();
    // Warm-up: the channels make their batch vectors.
    input
        .submit_iter((0..10_000).map(|i| Ev { key: i, ts: 0 }))
        .expect("submit");
    match way.as_str() {
        "batched" => submit_batched(&mut input),
        "single" => submit_single(&mut input),
        other => {
            eprintln!("unknown way {other}: use batched or single");
            std::process::exit(2);
        }
    }
    drop(input);
    let report = rt.finish().expect("finish");
    println!("{way}: {} events in", report.events_in());
}
