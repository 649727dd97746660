//! Cost of picking a core for one event: key-group routing
//! (`KeyGroups::DEFAULT.core_of_key(&key, 2)`: FxHash, then multiply-shift to
//! a group, then group to core) on `u64` keys and on a short `String` key, and
//! the `RoundRobin` route. Inputs go through [`black_box`], so each sample is
//! one real call; criterion's time per iteration is the cost per key.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use laminar::{ByKey, KeyGroups, RoundRobin, Route};

fn bench_routing(c: &mut Criterion) {
    let mut g = c.benchmark_group("routing");
    g.throughput(Throughput::Elements(1));
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));

    let groups = KeyGroups::DEFAULT;
    let mut k = 0u64;
    g.bench_function("core_of_key_u64", |b| {
        b.iter(|| {
            // A different key every call, so no result can be reused.
            k = k.wrapping_add(0x9E37_79B9_7F4A_7C15);
            groups.core_of_key(black_box(&k), black_box(2))
        })
    });

    let key = String::from("user-4711");
    g.bench_function("core_of_key_string9", |b| {
        b.iter(|| groups.core_of_key(black_box(key.as_str()), black_box(2)))
    });

    let mut by_key = ByKey::new(|e: &(u64, u64)| e.0);
    let mut e = (0u64, 0u64);
    g.bench_function("bykey_route_u64", |b| {
        b.iter(|| {
            e.0 = e.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            by_key.core_of(black_box(&e), black_box(2))
        })
    });

    let mut rr = RoundRobin::default();
    g.bench_function("round_robin", |b| {
        b.iter(|| Route::<u64>::core_of(&mut rr, black_box(&7u64), black_box(2)))
    });
    g.finish();
}

criterion_group!(benches, bench_routing);
criterion_main!(benches);
