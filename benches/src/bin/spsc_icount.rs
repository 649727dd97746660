//! Moves 1M `u64`s through one SPSC ring on one thread, in rounds of 200
//! pushes then 200 pops, for callgrind to count instructions per item:
//! `valgrind --tool=callgrind target/release/spsc_icount PEER`, PEER one of
//! laminar_single, rtrb_single, laminar_batched, laminar_unpublished,
//! rtrb_chunks.
//!
//! The two-thread bench (`benches/spsc.rs`) measures what users see, but on
//! a shared VM its medians move by ±30 % with code placement and with which
//! side runs ahead; an instruction count is the same on every run, so it
//! tells whether a change to the ring made the work per item smaller.

use std::hint::black_box;

use laminar::spsc;

const N: u64 = 1_000_000;
const CAPACITY: usize = 4096;
const ROUND: u64 = 200;

fn laminar_single() -> u64 {
    let (mut tx, mut rx) = spsc::channel::<u64>(CAPACITY);
    let mut sum = 0u64;
    for round in 0..N / ROUND {
        for i in 0..ROUND {
            let pushed = tx.push(black_box(round * ROUND + i));
            debug_assert!(pushed.is_ok());
        }
        while let Some(v) = rx.pop() {
            sum = sum.wrapping_add(v);
        }
    }
    sum
}

fn rtrb_single() -> u64 {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(CAPACITY);
    let mut sum = 0u64;
    for round in 0..N / ROUND {
        for i in 0..ROUND {
            let pushed = tx.push(black_box(round * ROUND + i));
            debug_assert!(pushed.is_ok());
        }
        while let Ok(v) = rx.pop() {
            sum = sum.wrapping_add(v);
        }
    }
    sum
}

fn laminar_batched() -> u64 {
    let (mut tx, mut rx) = spsc::channel::<u64>(CAPACITY);
    let mut src = (0..N).map(black_box);
    let mut sum = 0u64;
    for _ in 0..N / ROUND {
        tx.push_iter(&mut (&mut src).take(ROUND as usize));
        for v in rx.pop_batch(ROUND as usize) {
            sum = sum.wrapping_add(v);
        }
    }
    sum
}

fn laminar_unpublished() -> u64 {
    let (mut tx, mut rx) = spsc::channel::<u64>(CAPACITY);
    let mut sum = 0u64;
    for round in 0..N / ROUND {
        for i in 0..ROUND {
            let pushed = tx.push_unpublished(black_box(round * ROUND + i));
            debug_assert!(pushed.is_ok());
        }
        tx.publish();
        for v in rx.pop_batch(ROUND as usize) {
            sum = sum.wrapping_add(v);
        }
    }
    sum
}

fn rtrb_chunks() -> u64 {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(CAPACITY);
    let mut src = (0..N).map(black_box);
    let mut sum = 0u64;
    for _ in 0..N / ROUND {
        if let Ok(chunk) = tx.write_chunk_uninit(ROUND as usize) {
            chunk.fill_from_iter(&mut src);
        }
        if let Ok(chunk) = rx.read_chunk(ROUND as usize) {
            for v in chunk {
                sum = sum.wrapping_add(v);
            }
        }
    }
    sum
}

fn main() {
    let peer = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "laminar_single".into());
    let f: fn() -> u64 = match peer.as_str() {
        "laminar_single" => laminar_single,
        "rtrb_single" => rtrb_single,
        "laminar_batched" => laminar_batched,
        "laminar_unpublished" => laminar_unpublished,
        "rtrb_chunks" => rtrb_chunks,
        other => {
            eprintln!(
                "unknown peer {other}: use laminar_single, rtrb_single, laminar_batched, laminar_unpublished or rtrb_chunks"
            );
            std::process::exit(2);
        }
    };
    let sum = f();
    assert_eq!(sum, N * (N - 1) / 2, "every item arrives once");
    println!("{peer}: {sum}");
}
