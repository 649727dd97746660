//! The SPSC ring under real threads: a producer and a consumer that use
//! every push and pop flavour (unpublished pushes included) keep the exact sequence through many
//! wrap-arounds; values left in the ring (or in a batch dropped early) are
//! dropped exactly once whichever half goes last; a full ring hands the
//! value back; capacities round up to powers of two.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use laminar_runtime::spsc::{self, Full};

/// Items sent through the ring in the ordered-stream test.
const N: u64 = if cfg!(debug_assertions) {
    200_000
} else {
    2_000_000
};

/// Batch sizes the producer cycles through; 100 is larger than the ring.
const PUSH_SIZES: [usize; 5] = [1, 3, 17, 64, 100];

/// Batch limits the consumer cycles through.
const POP_SIZES: [usize; 6] = [1, 2, 7, 31, 64, usize::MAX];

#[test]
fn two_threads_keep_exact_order_through_wraparound() {
    let (mut tx, mut rx) = spsc::channel::<u64>(64);
    assert_eq!(tx.capacity(), 64);

    let producer = std::thread::spawn(move || {
        let mut next = 0u64;
        let mut round = 0usize;
        let mut slice = Vec::with_capacity(100);
        while next < N {
            let size = PUSH_SIZES[round % PUSH_SIZES.len()];
            let end = (next + size as u64).min(N);
            match round % 4 {
                // One at a time, retrying a full ring with the value it
                // handed back.
                0 => {
                    for v in next..end {
                        let mut v = v;
                        loop {
                            match tx.push(v) {
                                Ok(()) => break,
                                Err(Full(back)) => {
                                    assert_eq!(back, v, "Full must hand back the pushed value");
                                    v = back;
                                    std::thread::yield_now();
                                }
                            }
                        }
                    }
                }
                // One at a time unpublished, published once per round; a
                // full ring is published before waiting, or the consumer
                // could never free a slot.
                3 => {
                    for v in next..end {
                        let mut v = v;
                        while let Err(Full(back)) = tx.push_unpublished(v) {
                            v = back;
                            tx.publish();
                            std::thread::yield_now();
                        }
                    }
                    tx.publish();
                }
                // An iterator: what did not fit stays in it.
                1 => {
                    let mut it = next..end;
                    while it.start < it.end {
                        if tx.push_iter(&mut it) == 0 {
                            std::thread::yield_now();
                        }
                    }
                }
                // A slice: resume from how many were taken.
                _ => {
                    slice.clear();
                    slice.extend(next..end);
                    let mut done = 0;
                    while done < slice.len() {
                        let n = tx.push_slice(&slice[done..]);
                        if n == 0 {
                            std::thread::yield_now();
                        }
                        done += n;
                    }
                }
            }
            next = end;
            round += 1;
        }
        tx
    });

    let mut expected = 0u64;
    let mut round = 0usize;
    let mut early_drops = 0u64;
    while expected < N {
        let got_any;
        match round % 4 {
            0 => match rx.pop() {
                Some(v) => {
                    assert_eq!(v, expected, "pop out of order");
                    expected += 1;
                    got_any = true;
                }
                None => got_any = false,
            },
            // Take only part of a batch, then drop it: the rest must stay in
            // the ring and come out next, in order.
            3 => {
                let mut batch = rx.pop_batch(POP_SIZES[round % POP_SIZES.len()]);
                let len = batch.len();
                got_any = len > 0;
                let take = len / 2;
                for _ in 0..take {
                    let v = batch.next().expect("a batch yields its length");
                    assert_eq!(v, expected, "pop_batch out of order");
                    expected += 1;
                }
                assert_eq!(batch.len(), len - take);
                if take < len {
                    early_drops += 1;
                }
            }
            _ => {
                let batch = rx.pop_batch(POP_SIZES[round % POP_SIZES.len()]);
                let len = batch.len();
                got_any = len > 0;
                let mut n = 0;
                for v in batch {
                    assert_eq!(v, expected, "pop_batch out of order");
                    expected += 1;
                    n += 1;
                }
                assert_eq!(n, len, "a batch yields exactly its length");
            }
        }
        if !got_any {
            std::thread::yield_now();
        }
        round += 1;
    }
    let tx = producer.join().expect("producer panicked");
    // Nothing extra, nothing duplicated.
    assert_eq!(rx.pop(), None);
    assert!(rx.is_empty());
    assert_eq!(rx.pop_batch(usize::MAX).len(), 0);
    assert!(!rx.is_abandoned());
    drop(tx);
    assert!(rx.is_abandoned());
    // The partial-batch path really ran with items left behind.
    assert!(
        early_drops > 0,
        "no batch was ever dropped with items left in it"
    );
}

/// A value that counts its drops.
#[derive(Debug)]
struct Counted {
    id: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn counted(
    drops: &Arc<AtomicUsize>,
    range: std::ops::Range<usize>,
) -> impl Iterator<Item = Counted> + '_ {
    range.map(move |id| Counted {
        id,
        drops: drops.clone(),
    })
}

/// Pushes 10 (through several wrap-arounds when `cycles` > 0), pops 4,
/// then drops the halves in the given order.
fn leftovers_dropped_once(producer_first: bool, cycles: usize) {
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, mut rx) = spsc::channel::<Counted>(16);
    let mut created = 0;
    // Move the indices around the ring first.
    for _ in 0..cycles {
        let mut it = counted(&drops, created..created + 13);
        assert_eq!(tx.push_iter(&mut it), 13);
        created += 13;
        let popped: Vec<_> = rx.pop_batch(usize::MAX).collect();
        assert_eq!(popped.len(), 13);
        drop(popped);
    }
    let before = drops.load(Ordering::SeqCst);
    assert_eq!(before, created);

    let mut it = counted(&drops, created..created + 10);
    assert_eq!(tx.push_iter(&mut it), 10);
    created += 10;
    for k in 0..4 {
        let v = rx.pop().expect("pushed");
        assert_eq!(v.id, created - 10 + k);
    }
    assert_eq!(drops.load(Ordering::SeqCst), before + 4);
    if producer_first {
        drop(tx);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            before + 4,
            "the ring outlives one half"
        );
        drop(rx);
    } else {
        drop(rx);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            before + 4,
            "the ring outlives one half"
        );
        drop(tx);
    }
    assert_eq!(drops.load(Ordering::SeqCst), created);
}

#[test]
fn leftovers_dropped_once_producer_dropped_first() {
    leftovers_dropped_once(true, 0);
    leftovers_dropped_once(true, 5);
}

#[test]
fn leftovers_dropped_once_consumer_dropped_first() {
    leftovers_dropped_once(false, 0);
    leftovers_dropped_once(false, 5);
}

#[test]
fn leftovers_dropped_once_when_halves_drop_on_other_threads() {
    for round in 0..200 {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, mut rx) = spsc::channel::<Counted>(8);
        assert_eq!(tx.push_iter(&mut counted(&drops, 0..8)), 8);
        drop(rx.pop());
        let a = std::thread::spawn(move || drop(tx));
        let b = std::thread::spawn(move || drop(rx));
        if round % 2 == 0 {
            a.join().unwrap();
            b.join().unwrap();
        } else {
            b.join().unwrap();
            a.join().unwrap();
        }
        assert_eq!(drops.load(Ordering::SeqCst), 8);
    }
}

#[test]
fn batch_dropped_early_leaves_the_rest_to_the_ring() {
    for consumer_first in [false, true] {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, mut rx) = spsc::channel::<Counted>(8);
        assert_eq!(tx.push_iter(&mut counted(&drops, 0..6)), 6);
        {
            let mut batch = rx.pop_batch(5);
            assert_eq!(batch.len(), 5);
            let a = batch.next().unwrap();
            let b = batch.next().unwrap();
            assert_eq!((a.id, b.id), (0, 1));
            // The batch goes first, then the two taken items.
        }
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        // The untaken items are still there, in order, and the producer
        // got exactly the two slots back.
        assert_eq!(rx.len(), 4);
        assert_eq!(tx.slots(), 4);
        let c = rx.pop().unwrap();
        assert_eq!(c.id, 2);
        drop(c);
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        // A batch dropped with nothing taken releases nothing.
        drop(rx.pop_batch(usize::MAX));
        assert_eq!(rx.len(), 3);
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        if consumer_first {
            drop(rx);
            drop(tx);
        } else {
            drop(tx);
            drop(rx);
        }
        assert_eq!(drops.load(Ordering::SeqCst), 6);
    }
}

#[test]
fn forgotten_batch_neither_duplicates_nor_double_drops() {
    // `mem::forget` is safe, so a forgotten batch must not let the items it
    // handed out be read (or dropped) a second time.
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut tx, mut rx) = spsc::channel::<Counted>(8);
    assert_eq!(tx.push_iter(&mut counted(&drops, 0..5)), 5);
    let mut batch = rx.pop_batch(4);
    let first = batch.next().unwrap();
    let second = batch.next().unwrap();
    std::mem::forget(batch);
    assert_eq!((first.id, second.id), (0, 1));
    drop((first, second));
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    let next = rx.pop().expect("items 2..5 are still in the ring");
    assert_eq!(
        next.id, 2,
        "a forgotten batch must not hand its items out again"
    );
    drop(next);
    drop(tx);
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 5);
}

#[test]
fn full_hands_the_value_back() {
    let (mut tx, mut rx) = spsc::channel::<String>(2);
    tx.push("a".to_owned()).unwrap();
    tx.push("b".to_owned()).unwrap();
    assert_eq!(tx.slots(), 0);
    let err = tx.push("c".to_owned()).unwrap_err();
    assert_eq!(err, Full("c".to_owned()));
    assert_eq!(err.0, "c");
    assert_eq!(err.to_string(), "the ring is full");
    // A full ring takes nothing from an iterator or a slice either.
    let mut it = ["d".to_owned()].into_iter();
    assert_eq!(tx.push_iter(&mut it), 0);
    assert_eq!(it.next().as_deref(), Some("d"));
    assert_eq!(tx.push_slice(&["e".to_owned()]), 0);
    // One pop frees exactly one slot.
    assert_eq!(rx.pop().as_deref(), Some("a"));
    tx.push("c".to_owned()).unwrap();
    assert_eq!(tx.push("x".to_owned()), Err(Full("x".to_owned())));
    let rest: Vec<String> = rx.pop_batch(usize::MAX).collect();
    assert_eq!(rest, ["b", "c"]);
    assert_eq!(rx.pop(), None);
}

#[test]
fn push_iter_and_slice_stop_at_capacity() {
    let (mut tx, mut rx) = spsc::channel::<u32>(8);
    let mut it = 0..100;
    assert_eq!(tx.push_iter(&mut it), 8);
    assert_eq!(it.start, 8, "items that did not fit stay in the iterator");
    assert_eq!(rx.pop_batch(3).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(tx.push_slice(&[100, 101, 102, 103, 104]), 3);
    let all: Vec<u32> = rx.pop_batch(usize::MAX).collect();
    assert_eq!(all, [3, 4, 5, 6, 7, 100, 101, 102]);
}

#[test]
fn capacity_rounds_up_to_a_power_of_two() {
    for (asked, got) in [
        (0, 1),
        (1, 1),
        (2, 2),
        (3, 4),
        (4, 4),
        (5, 8),
        (63, 64),
        (64, 64),
        (65, 128),
        (1000, 1024),
        (4096, 4096),
    ] {
        let (mut tx, rx) = spsc::channel::<u8>(asked);
        assert_eq!(tx.capacity(), got, "capacity({asked})");
        assert_eq!(rx.capacity(), got, "capacity({asked})");
        // And the ring really holds that many, no more.
        let pushed = tx.push_iter(&mut std::iter::repeat_n(0u8, got + 5));
        assert_eq!(pushed, got, "capacity({asked}) holds {got}");
    }
}
