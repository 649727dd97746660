//! Events per second through a whole [`Runtime`]: build, submit
//! [`N`] `u64` events through one input handle, `finish_into`.
//!
//! The operator is deliberately trivial, so the figures are the runtime's own
//! cost (routing, credits, the SPSC rings, the workers' loops, start-up and
//! shut-down):
//!
//! - `sum`: adds its input and emits one total per core at `on_end`; the
//!   submitting thread needs no one draining outboxes;
//! - `passthrough`: emits every event. Outboxes hold 8192 results, so the bench
//!   submits from a second thread while the bench thread drains with
//!   `Runtime::drain` (one more thread on a 2-core machine).
//!
//! Each on 1 and 2 cores, with `Input::submit_iter` (the batch path: one lock
//! and one wake per call) and, for `sum`, with `Input::submit` per event.
//! Routing is round-robin. Every iteration checks the results, and the time
//! includes thread start-up and the final join.

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use laminar::{Emit, Operator, Pipeline, RoundRobin, Runtime};

/// Events per iteration.
const N: u64 = 1_000_000;
/// 0 + 1 + … + (N - 1).
const EXPECTED_SUM: u64 = N * (N - 1) / 2;

/// Sums its input; emits the total when the input ends.
struct Sum(u64);

impl Operator for Sum {
    type In = u64;
    type Out = u64;
    #[inline]
    fn on_event<E: Emit<u64>>(&mut self, event: u64, _out: &mut E) {
        self.0 = self.0.wrapping_add(event);
    }
    fn on_end<E: Emit<u64>>(&mut self, out: &mut E) {
        out.emit(self.0);
    }
}

struct SumPipeline;

impl Pipeline for SumPipeline {
    type In = u64;
    type Out = u64;
    type Op = Sum;
    type Route = RoundRobin;
    fn route(&self) -> RoundRobin {
        RoundRobin::default()
    }
    fn instantiate(&self, _core: usize) -> Sum {
        Sum(0)
    }
}

/// Emits every event unchanged.
struct Passthrough;

impl Operator for Passthrough {
    type In = u64;
    type Out = u64;
    #[inline]
    fn on_event<E: Emit<u64>>(&mut self, event: u64, out: &mut E) {
        out.emit(event);
    }
}

struct PassthroughPipeline;

impl Pipeline for PassthroughPipeline {
    type In = u64;
    type Out = u64;
    type Op = Passthrough;
    type Route = RoundRobin;
    fn route(&self) -> RoundRobin {
        RoundRobin::default()
    }
    fn instantiate(&self, _core: usize) -> Passthrough {
        Passthrough
    }
}

/// How the events go in.
#[derive(Clone, Copy)]
enum Submit {
    /// One `submit_iter` over all of them.
    Iter,
    /// One `submit` per event.
    Each,
}

fn run_sum(cores: usize, how: Submit) -> Duration {
    let start = Instant::now();
    let rt = Runtime::builder()
        .cores(cores)
        .build(SumPipeline)
        .expect("runtime builds");
    let mut input = rt.input();
    match how {
        Submit::Iter => {
            let sent = input.submit_iter((0..N).map(black_box)).expect("submit");
            assert_eq!(sent.queued as u64, N);
        }
        Submit::Each => {
            for i in 0..N {
                input.submit(black_box(i)).expect("submit");
            }
        }
    }
    drop(input);
    let mut out = Vec::with_capacity(cores);
    let report = rt.finish_into(&mut out).expect("runtime finishes");
    let elapsed = start.elapsed();
    assert_eq!(report.events_in(), N);
    assert_eq!(
        out.iter().copied().fold(0u64, u64::wrapping_add),
        EXPECTED_SUM
    );
    elapsed
}

fn run_passthrough(cores: usize, out: &mut Vec<u64>) -> Duration {
    out.clear();
    let start = Instant::now();
    let mut rt = Runtime::builder()
        .cores(cores)
        .build(PassthroughPipeline)
        .expect("runtime builds");
    let mut input = rt.input();
    thread::scope(|s| {
        let producer = s.spawn(move || {
            input.submit_iter((0..N).map(black_box)).expect("submit");
        });
        while !producer.is_finished() {
            if rt.drain(out) == 0 {
                std::hint::spin_loop();
            }
        }
        producer.join().expect("producer panicked");
    });
    rt.finish_into(out).expect("runtime finishes");
    let elapsed = start.elapsed();
    assert_eq!(out.len() as u64, N);
    assert_eq!(
        out.iter().copied().fold(0u64, u64::wrapping_add),
        EXPECTED_SUM
    );
    elapsed
}

fn bench_runtime(c: &mut Criterion) {
    let mut g = c.benchmark_group("runtime_1M_u64");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(5));
    for cores in [1, 2] {
        g.bench_with_input(
            BenchmarkId::new("sum_submit_iter", cores),
            &cores,
            |b, &n| b.iter_custom(|iters| (0..iters).map(|_| run_sum(n, Submit::Iter)).sum()),
        );
        g.bench_with_input(BenchmarkId::new("sum_submit", cores), &cores, |b, &n| {
            b.iter_custom(|iters| (0..iters).map(|_| run_sum(n, Submit::Each)).sum())
        });
        let mut out = Vec::with_capacity(N as usize);
        g.bench_with_input(
            BenchmarkId::new("passthrough_submit_iter", cores),
            &cores,
            |b, &n| b.iter_custom(|iters| (0..iters).map(|_| run_passthrough(n, &mut out)).sum()),
        );
    }
    g.finish();
}

criterion_group!(benches, bench_runtime);
criterion_main!(benches);
