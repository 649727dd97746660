//! Graphs (issue 13): the whole Nexmark q5 (two stages, an exchange in
//! mid-pipeline) and q7 (a two-phase `window_all`), from a source inside
//! the cores on 1 and 2 cores, and what an exchange in mid-pipeline costs:
//! q5 keyed after a `map` against keyed at the source, on 2 cores. Each
//! pair's outputs are checked equal before timing.
//!
//! criterion runs each function's samples in a row; for same-run ratios
//! with the rounds interleaved, and timely beside, use the `peers` binary
//! (`--features peers`), which runs the same pipelines.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use laminar::prelude::*;
use laminar::source;
use laminar_examples::nexmark::{Bid, DEFAULT_RATE, bids, q5, q5_hot, q7_highest};

/// Runs `p` on `cores` cores over `bids` read by a source, and returns its
/// results, in the order the cores gave them.
fn run<P: Pipeline<In = Bid>>(p: P, cores: usize, bids: &Arc<[Bid]>) -> Vec<P::Out> {
    let rt = Runtime::builder().cores(cores).build(p).expect("runtime");
    rt.attach(source::from_slice(bids.clone()));
    let mut out = Vec::new();
    rt.finish_into(&mut out).expect("finish");
    out
}

/// q5 keyed after a stage: the `key_by` is an exchange in mid-pipeline.
fn q5_keyed_mid() -> impl Pipeline<In = Bid, Out = Windowed<u64, u64>> {
    stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> map(|b| b)
        -> key_by(|b| b.auction)
        -> window(sliding(10s, 2s))
        -> aggregate(count())
    }
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

fn graphs(c: &mut Criterion) {
    const N: usize = 1_000_000;
    let input: Arc<[Bid]> = bids(N, DEFAULT_RATE).into();
    assert_eq!(
        sorted(run(q5(), 2, &input)),
        sorted(run(q5_keyed_mid(), 2, &input)),
        "keyed at the source or after a map: the same q5"
    );
    assert_eq!(
        run(q5_hot(), 1, &input).len(),
        run(q5_hot(), 2, &input).len()
    );
    assert_eq!(
        sorted(run(q7_highest(), 1, &input)),
        sorted(run(q7_highest(), 2, &input))
    );
    let mut g = c.benchmark_group("graphs");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.measurement_time(std::time::Duration::from_secs(3));
    for cores in [1, 2] {
        g.bench_function(format!("q5_two_stage_{cores}_cores"), |b| {
            b.iter(|| run(q5_hot(), cores, black_box(&input)))
        });
        g.bench_function(format!("q7_two_phase_{cores}_cores"), |b| {
            b.iter(|| run(q7_highest(), cores, black_box(&input)))
        });
    }
    g.bench_function("q5_keyed_at_source_2_cores", |b| {
        b.iter(|| run(q5(), 2, black_box(&input)))
    });
    g.bench_function("q5_keyed_after_map_2_cores", |b| {
        b.iter(|| run(q5_keyed_mid(), 2, black_box(&input)))
    });
    g.finish();
}

criterion_group!(benches, graphs);
criterion_main!(benches);
