//! Zero overhead, timed: the same stateless logic four ways in one run —
//! the chain `stream!` generates, a hand-written loop, an iterator chain,
//! and a chain of boxed trait objects (what a runtime-assembled pipeline
//! costs). Goal: generated ÷ hand-written ≤ 1.05. The logic lives in
//! `laminar_benches::fusion`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use laminar_benches::fusion::{bids, boxed_dyn, generated, hand_written, iterator};

fn fusion(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let input = bids(N);
    let expected = hand_written(&input);
    assert_eq!(generated(&input), expected);
    assert_eq!(iterator(&input), expected);
    assert_eq!(boxed_dyn(&input), expected);

    let mut g = c.benchmark_group("fusion");
    g.throughput(Throughput::Elements(N));
    g.sample_size(30);
    g.bench_function("generated", |b| b.iter(|| generated(black_box(&input))));
    g.bench_function("hand_written", |b| {
        b.iter(|| hand_written(black_box(&input)))
    });
    g.bench_function("iterator", |b| b.iter(|| iterator(black_box(&input))));
    g.bench_function("boxed_dyn", |b| b.iter(|| boxed_dyn(black_box(&input))));
    g.finish();
}

criterion_group!(benches, fusion);
criterion_main!(benches);
