//! Nexmark q5, q7 and q11 shapes: events per second per core.
//!
//! Two measurements per query, in one run:
//! - `chain`: one core's fused chain driven directly, with a watermark every
//!   64 events as an input handle sends them: the per-core figure;
//! - `runtime_2_cores`: the whole path, one input handle feeding 2 worker
//!   cores, results drained, `finish` included.
//!
//! Goal (issue 4): at least 5M events/s/core for q7. The bids and the
//! pipelines are `laminar_examples::nexmark`'s, the ones the Nexmark tests
//! check; the bids are generated before measuring.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use laminar::prelude::*;
use laminar_benches::nexmark::drive_chain;
use laminar_examples::nexmark::{Bid, DEFAULT_RATE, bids, q5, q7, q11};

/// Counts results, so the work is observable and nothing is stored.
struct Count(u64);

impl<T> Emit<T> for Count {
    #[inline]
    fn emit(&mut self, _item: T) {
        self.0 += 1;
    }
}

/// One core's chain over `bids`, watermarks as an input handle sends them.
fn chain<P: Pipeline<In = Bid>>(p: &P, bids: &[Bid]) -> u64 {
    let mut out = Count(0);
    drive_chain(p, bids, &mut out);
    out.0
}

/// The whole path on 2 cores.
fn runtime<P: Pipeline<In = Bid>>(p: P, bids: &[Bid]) -> u64 {
    let mut rt = Runtime::builder().cores(2).build(p).expect("runtime");
    let mut input = rt.input();
    let mut buf = Vec::with_capacity(1 << 16);
    let mut results = 0;
    for chunk in bids.chunks(8192) {
        input.submit_iter(chunk.iter().copied()).expect("submit");
        results += rt.drain(&mut buf) as u64;
        buf.clear();
    }
    drop(input);
    rt.finish_into(&mut buf).expect("finish");
    results + buf.len() as u64
}

fn nexmark(c: &mut Criterion) {
    const N: usize = 1_000_000;
    let input = bids(N, DEFAULT_RATE);
    let mut g = c.benchmark_group("nexmark");
    g.throughput(Throughput::Elements(input.len() as u64));
    g.sample_size(10);
    g.measurement_time(std::time::Duration::from_secs(4));
    g.bench_function("q5_chain", |b| b.iter(|| chain(&q5(), black_box(&input))));
    g.bench_function("q7_chain", |b| b.iter(|| chain(&q7(), black_box(&input))));
    g.bench_function("q11_chain", |b| b.iter(|| chain(&q11(), black_box(&input))));
    g.bench_function("q5_runtime_2_cores", |b| {
        b.iter(|| runtime(q5(), black_box(&input)))
    });
    g.bench_function("q7_runtime_2_cores", |b| {
        b.iter(|| runtime(q7(), black_box(&input)))
    });
    g.bench_function("q11_runtime_2_cores", |b| {
        b.iter(|| runtime(q11(), black_box(&input)))
    });
    g.finish();
}

criterion_group!(benches, nexmark);
criterion_main!(benches);
