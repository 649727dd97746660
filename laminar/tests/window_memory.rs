//! Window memory returns after a burst: a window that once held a million
//! keys does not keep the room for them once it has closed. For each shape,
//! the bytes a window chain holds while running with 1,000 live keys are
//! measured twice, without and after a burst of 1,000,000 distinct keys in
//! one window; after the burst they must be at most twice as many.
//!
//! A plain `main` (`harness = false` in Cargo.toml), because the allocator
//! counts every thread of the process: a second test running in parallel,
//! or libtest's own main thread, would pollute the counts.

use laminar::prelude::*;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Bytes allocated and not yet freed, over the whole process.
fn live_bytes() -> usize {
    dhat::HeapStats::get().curr_bytes
}

/// Blocks allocated so far, over the whole process.
fn blocks() -> u64 {
    dhat::HeapStats::get().total_blocks
}

/// (key, timestamp in ms)
type Ev = (u64, u64);

const LIVE_KEYS: u64 = 1_000;
const BURST_KEYS: u64 = 1_000_000;
/// Events per millisecond in the steady state: every live key once per
/// 10 ms, the tumbling window's size.
const PER_MS: u64 = 100;

/// Ignores the results: the test is about what the chain keeps.
struct Ignore;

impl<K, V> Emit<Windowed<K, V>> for Ignore {
    fn emit(&mut self, _item: Windowed<K, V>) {}
}

/// What a run kept and allocated.
struct Held {
    /// Bytes the chain holds at the end.
    bytes: usize,
    /// Bytes it held right after the burst came.
    at_burst: usize,
    /// Blocks allocated over the second half of the run.
    late_blocks: u64,
}

/// Runs a chain from time 0 to `until` ms with `LIVE_KEYS` keys, a
/// watermark every millisecond; with `burst`, `BURST_KEYS` other keys come
/// at 25 ms.
fn run<P>(p: &P, until: u64, burst: bool) -> Held
where
    P: Pipeline<In = Ev>,
    P::Out: 'static,
    Ignore: Emit<P::Out>,
{
    let before = live_bytes();
    let mut chain = p.instantiate(0);
    let mut sink = Ignore;
    let mut half = 0;
    let mut at_burst = 0;
    for t in 0..until {
        if t == until / 2 {
            half = blocks();
        }
        for j in 0..PER_MS {
            chain.on_event(((t * PER_MS + j) % LIVE_KEYS, t), &mut sink);
        }
        if burst && t == 25 {
            for k in 0..BURST_KEYS {
                chain.on_event((LIVE_KEYS + k, t), &mut sink);
            }
            at_burst = live_bytes() - before;
        }
        chain.on_watermark(t, &mut sink);
    }
    let held = Held {
        bytes: live_bytes() - before,
        at_burst,
        late_blocks: blocks() - half,
    };
    drop(chain);
    held
}

/// Checks the bytes held after a burst against the steady state, and that
/// the second half of each run, in steady state, allocates nothing: giving
/// room back after a burst does not make a window allocate in steady state.
fn check<P>(name: &str, p: &P, until: u64)
where
    P: Pipeline<In = Ev>,
    P::Out: 'static,
    Ignore: Emit<P::Out>,
{
    let steady = run(p, until, false);
    let burst = run(p, until, true);
    println!(
        "{name}: {} bytes held with {LIVE_KEYS} live keys; {} at a burst of {BURST_KEYS}, \
         {} after it; {} and {} blocks allocated over the second half",
        steady.bytes, burst.at_burst, burst.bytes, steady.late_blocks, burst.late_blocks
    );
    assert!(
        burst.at_burst > 100 * steady.bytes,
        "{name}: the burst took room"
    );
    assert_eq!(steady.late_blocks, 0, "{name}: steady state allocates");
    assert_eq!(burst.late_blocks, 0, "{name}: steady state allocates");
    let (steady, after_burst) = (steady.bytes, burst.bytes);
    assert!(steady > 0, "{name}: the steady state holds its keys");
    assert!(
        after_burst <= 2 * steady,
        "{name}: {after_burst} bytes held after the burst, more than twice the {steady} of the steady state"
    );
}

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();

    let tumbling = stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(tumbling(10ms))
        -> aggregate(count())
    };
    check("tumbling", &tumbling, 200);

    let sliding = stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(sliding(20ms, 10ms), allowed_lateness = 5ms)
        -> aggregate(count(), max(|e| e.1))
    };
    check("sliding", &sliding, 200);

    let session = stream! {
        Ev
        -> event_time(|e| e.1)
        -> key_by(|e| e.0)
        -> window(session(10ms), allowed_lateness = 5ms)
        -> aggregate(count())
    };
    // Each live key comes back within a gap of its last session's end, so
    // its entry is still there and nothing is allocated for it.
    check("session", &session, 200);
}
