//! The SPSC two-thread transfers, one per peer, shared by the criterion bench
//! (`benches/spsc.rs`) and the interleaved-rounds binary
//! (`src/bin/spsc_rounds.rs`).
//!
//! Each transfer moves [`N`] `u64`s from the calling thread (producer) to a
//! freshly spawned consumer thread through a ring of [`CAPACITY`] slots. Both
//! sides spin with [`core::hint::spin_loop`] when the ring is full or empty;
//! the consumer sums what it receives and the sum is checked, so nothing can
//! be optimized away.
//!
//! Two things keep thread placement out of the figures. Where the OS allows,
//! the producer is pinned to the first CPU and the consumer to the second (on
//! a 2-CPU machine a new thread otherwise often starts on the producer's CPU
//! and waits a scheduler tick, ~4 ms, to run or migrate: that alone made
//! iterations bimodal, 1–2 ms or 5–20 ms). And the clock starts only once the
//! consumer runs, so thread start-up is not timed.
//!
//! Peers:
//! - [`laminar_single`]: `Producer::push` / `Consumer::pop`, one item at a time;
//! - [`rtrb_single`]: `rtrb::Producer::push` / `Consumer::pop`;
//! - [`arrayqueue`]: `crossbeam_queue::ArrayQueue::push` / `pop` (an MPMC
//!   queue, the common off-the-shelf choice);
//! - [`laminar_batched`]: `push_iter` / `pop_batch` in batches of [`BATCH`];
//! - [`laminar_unpublished`]: `push_unpublished` one item at a time with a
//!   `publish` every [`BATCH`], and `pop_batch`: how the runtime's input
//!   channels send (one message at a time, published per credit batch);
//! - [`rtrb_chunks`]: rtrb's `write_chunk_uninit` + `fill_from_iter` /
//!   `read_chunk`, also in batches of [`BATCH`], so the batched comparison is
//!   fair.

use std::hint::{black_box, spin_loop};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use core_affinity::CoreId;

use crossbeam_queue::ArrayQueue;
use laminar::spsc;

/// Items moved per transfer.
pub const N: u64 = 1_000_000;
/// Slots in every ring.
pub const CAPACITY: usize = 4096;
/// Items per batch for the batched peers.
pub const BATCH: usize = 256;
/// What the consumer's sum must come to: 0 + 1 + … + (N - 1).
const EXPECTED_SUM: u64 = N * (N - 1) / 2;

/// The CPUs for the producer and the consumer, if the OS gives two.
fn cpus() -> Option<(CoreId, CoreId)> {
    static CPUS: OnceLock<Option<(CoreId, CoreId)>> = OnceLock::new();
    *CPUS.get_or_init(|| match core_affinity::get_core_ids()?.as_slice() {
        [a, b, ..] => Some((*a, *b)),
        _ => None,
    })
}

/// Runs `produce` on the calling thread and `consume` on a new one; returns
/// the wall time from the moment both run to the consumer's end, and checks
/// the consumer's sum.
fn transfer<C>(produce: impl FnOnce(), consume: C) -> Duration
where
    C: FnOnce() -> u64 + Send,
{
    let cpus = cpus();
    if let Some((producer_cpu, _)) = cpus {
        core_affinity::set_for_current(producer_cpu);
    }
    let running = AtomicBool::new(false);
    let (sum, elapsed) = thread::scope(|s| {
        let running = &running;
        let consumer = s.spawn(move || {
            if let Some((_, consumer_cpu)) = cpus {
                core_affinity::set_for_current(consumer_cpu);
            }
            running.store(true, Ordering::Release);
            consume()
        });
        while !running.load(Ordering::Acquire) {
            spin_loop();
        }
        let start = Instant::now();
        produce();
        let sum = consumer.join().expect("consumer panicked");
        (sum, start.elapsed())
    });
    assert_eq!(sum, EXPECTED_SUM);
    elapsed
}

/// Pushes `0..N` one item at a time, spinning while `push` hands an item
/// back (the ring is full).
fn push_each(mut push: impl FnMut(u64) -> Result<(), u64>) {
    for i in 0..N {
        let mut v = black_box(i);
        while let Err(back) = push(v) {
            v = back;
            spin_loop();
        }
    }
}

/// Pops until `N` items have arrived, spinning while `pop` finds none;
/// returns their sum.
fn pop_each(mut pop: impl FnMut() -> Option<u64>) -> u64 {
    let mut sum = 0u64;
    let mut got = 0u64;
    while got < N {
        match pop() {
            Some(v) => {
                sum = sum.wrapping_add(v);
                got += 1;
            }
            None => spin_loop(),
        }
    }
    sum
}

/// The `laminar_single` peer: one timed transfer.
pub fn laminar_single() -> Duration {
    let (mut tx, mut rx) = spsc::channel::<u64>(CAPACITY);
    transfer(
        move || push_each(|v| tx.push(v).map_err(|full| full.0)),
        move || pop_each(|| rx.pop()),
    )
}
/// Pops batches of up to [`BATCH`] until `N` items have arrived, spinning
/// while none is ready; returns their sum.
fn pop_batches(rx: &mut spsc::Consumer<u64>) -> u64 {
    let mut sum = 0u64;
    let mut got = 0u64;
    while got < N {
        let mut n = 0u64;
        for v in rx.pop_batch(BATCH) {
            sum = sum.wrapping_add(v);
            n += 1;
        }
        if n == 0 {
            spin_loop();
        }
        got += n;
    }
    sum
}

/// The `laminar_batched` peer: one timed transfer.
pub fn laminar_batched() -> Duration {
    let (mut tx, mut rx) = spsc::channel::<u64>(CAPACITY);
    transfer(
        move || {
            let mut src = 0..N;
            let mut sent = 0u64;
            while sent < N {
                let n = tx.push_iter(&mut (&mut src).take(BATCH).map(black_box));
                if n == 0 {
                    spin_loop();
                }
                sent += n as u64;
            }
        },
        move || pop_batches(&mut rx),
    )
}

/// The `laminar_unpublished` peer: one timed transfer.
pub fn laminar_unpublished() -> Duration {
    let (mut tx, mut rx) = spsc::channel::<u64>(CAPACITY);
    transfer(
        move || {
            for i in 0..N {
                let mut v = black_box(i);
                while let Err(full) = tx.push_unpublished(v) {
                    v = full.0;
                    // The consumer frees slots only from what it can see.
                    tx.publish();
                    spin_loop();
                }
                if (i + 1).is_multiple_of(BATCH as u64) {
                    tx.publish();
                }
            }
            tx.publish();
        },
        move || pop_batches(&mut rx),
    )
}

/// The `rtrb_single` peer: one timed transfer.
pub fn rtrb_single() -> Duration {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(CAPACITY);
    transfer(
        move || push_each(|v| tx.push(v).map_err(|rtrb::PushError::Full(back)| back)),
        move || pop_each(|| rx.pop().ok()),
    )
}
/// The `rtrb_chunks` peer: one timed transfer.
pub fn rtrb_chunks() -> Duration {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(CAPACITY);
    transfer(
        move || {
            let mut src = 0..N;
            let mut sent = 0u64;
            while sent < N {
                let want = tx.slots().min(BATCH).min((N - sent) as usize);
                if want == 0 {
                    spin_loop();
                    continue;
                }
                let chunk = tx
                    .write_chunk_uninit(want)
                    .expect("slots() said they were free");
                sent += chunk.fill_from_iter((&mut src).map(black_box)) as u64;
            }
        },
        move || {
            let mut sum = 0u64;
            let mut got = 0u64;
            while got < N {
                let ready = rx.slots().min(BATCH);
                if ready == 0 {
                    spin_loop();
                    continue;
                }
                let chunk = rx.read_chunk(ready).expect("slots() said they were ready");
                for v in chunk {
                    sum = sum.wrapping_add(v);
                }
                got += ready as u64;
            }
            sum
        },
    )
}

/// The `arrayqueue` peer: one timed transfer.
pub fn arrayqueue() -> Duration {
    let q = Arc::new(ArrayQueue::<u64>::new(CAPACITY));
    let rq = q.clone();
    transfer(
        move || push_each(|v| q.push(v)),
        move || pop_each(|| rq.pop()),
    )
}
/// One timed transfer of [`N`] items.
pub type Transfer = fn() -> Duration;

/// Every peer, by name, in the order the bench reports them.
pub const PEERS: [(&str, Transfer); 6] = [
    ("laminar_single", laminar_single),
    ("rtrb_single", rtrb_single),
    ("arrayqueue", arrayqueue),
    ("laminar_batched", laminar_batched),
    ("laminar_unpublished", laminar_unpublished),
    ("rtrb_chunks", rtrb_chunks),
];
