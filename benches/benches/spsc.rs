//! SPSC ring throughput: Laminar's `spsc::channel` against `rtrb` and
//! crossbeam's `ArrayQueue`, side by side in one criterion group so that every
//! peer runs in the same process. The transfers themselves, and what each
//! peer does, are in `laminar_benches::spsc`.
//!
//! Criterion measures the peers one after another, so a change in the
//! machine's state between two peers lands in their ratio;
//! `src/bin/spsc_rounds.rs` interleaves them round by round instead.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use laminar_benches::spsc::{N, PEERS};

fn bench_spsc(c: &mut Criterion) {
    let mut g = c.benchmark_group("spsc_1M_u64");
    g.throughput(Throughput::Elements(N));
    g.sample_size(20);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    for (name, run) in PEERS {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| run()).sum())
        });
    }
    g.finish();
}

criterion_group!(benches, bench_spsc);
criterion_main!(benches);
