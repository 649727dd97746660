//! Loom model checks of the lock-free parts: the SPSC ring keeps order
//! through wrap-around with single and batch operations, items left in it
//! are dropped exactly once when its halves go on different threads, and the
//! credit gate conserves credits between a sender and a consumer. Run with
//! `.ci/loom` (`--cfg loom`); without it this file is empty.
#![cfg(loom)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use laminar_runtime::credit::{CreditLine, CreditPool};
use laminar_runtime::spsc;

/// Pushes `value`, yielding while the ring is full.
fn push_retry<T>(tx: &mut spsc::Producer<T>, mut value: T) {
    loop {
        match tx.push(value) {
            Ok(()) => return,
            Err(spsc::Full(back)) => {
                value = back;
                thread::yield_now();
            }
        }
    }
}

#[test]
fn spsc_keeps_order_through_wraparound() {
    loom::model(|| {
        let (mut tx, mut rx) = spsc::channel::<u32>(2);
        let producer = thread::spawn(move || {
            push_retry(&mut tx, 0);
            // Two more with one publish, possibly split by a full ring.
            let mut rest = 1..3u32;
            while !rest.is_empty() {
                if tx.push_iter(&mut rest) == 0 {
                    thread::yield_now();
                }
            }
        });
        let mut got = Vec::new();
        while got.len() < 3 {
            let before = got.len();
            if before == 0 {
                got.extend(rx.pop());
            } else {
                got.extend(rx.pop_batch(2));
            }
            if got.len() == before {
                thread::yield_now();
            }
        }
        producer.join().unwrap();
        assert_eq!(got, [0, 1, 2]);
        assert_eq!(rx.pop(), None);
    });
}

#[test]
fn spsc_unpublished_pushes_appear_only_when_published() {
    loom::model(|| {
        let (mut tx, mut rx) = spsc::channel::<u32>(2);
        let producer = thread::spawn(move || {
            tx.push_unpublished(0).unwrap();
            tx.push_unpublished(1).unwrap();
            tx.publish();
            // The ring may still be full; publishing before each wait is
            // what lets the consumer free a slot.
            let mut v = 2;
            while let Err(spsc::Full(back)) = tx.push_unpublished(v) {
                v = back;
                tx.publish();
                thread::yield_now();
            }
            tx.publish();
        });
        let mut got = Vec::new();
        while got.len() < 3 {
            let before = got.len();
            got.extend(rx.pop());
            if got.len() == before {
                thread::yield_now();
            }
        }
        producer.join().unwrap();
        assert_eq!(got, [0, 1, 2]);
    });
}

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn spsc_leftovers_dropped_once_across_threads() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (mut tx, mut rx) = spsc::channel::<Counted>(2);
        let d = drops.clone();
        // The producer fills the ring and drops its half on its thread...
        let producer = thread::spawn(move || {
            push_retry(&mut tx, Counted(d.clone()));
            push_retry(&mut tx, Counted(d));
        });
        // ...the consumer takes what it finds of one batch, leaves the rest
        // and drops its half on its own.
        let consumer = thread::spawn(move || {
            let mut batch = rx.pop_batch(2);
            drop(batch.next());
        });
        producer.join().unwrap();
        consumer.join().unwrap();
        // Both halves are gone: each item was dropped by the consumer or
        // by the ring, once.
        assert_eq!(drops.load(Ordering::Relaxed), 2);
    });
}

#[test]
fn credits_are_conserved() {
    const EXCLUSIVE: usize = 1;
    const POOL: usize = 2;
    const EVENTS: usize = 3;
    loom::model(|| {
        let pool = CreditPool::new(POOL, 1, POOL);
        let line = Arc::new(CreditLine::new(pool.clone(), EXCLUSIVE, POOL));
        // Room for every credit the line can hold: a credit is a free slot.
        let (mut tx, mut rx) = spsc::channel::<u8>(EXCLUSIVE + POOL);
        let sender_line = line.clone();
        let sender = thread::spawn(move || {
            let mut sent = 0;
            while sent < EVENTS {
                let got = sender_line.try_acquire(EVENTS - sent);
                if got == 0 {
                    thread::yield_now();
                    continue;
                }
                for _ in 0..got {
                    assert!(tx.push(sent as u8).is_ok(), "a credit without a free slot");
                    sent += 1;
                }
            }
        });
        let mut received = 0;
        while received < EVENTS {
            let n = rx.pop_batch(usize::MAX).count();
            if n == 0 {
                thread::yield_now();
                continue;
            }
            line.release(n);
            received += n;
        }
        sender.join().unwrap();
        assert_eq!(line.borrowed(), 0, "loans not repaid");
        assert_eq!(
            line.exclusive_free() + pool.available(),
            EXCLUSIVE + POOL,
            "credits created or lost"
        );
        assert_eq!(line.exclusive_free(), EXCLUSIVE);
    });
}

#[test]
fn credits_are_conserved_with_two_lines_sharing_the_pool() {
    // Two senders, each with one exclusive credit, compete for a pool of
    // one; the core releases each line's events to that line.
    loom::model(|| {
        let pool = CreditPool::new(1, 0, 1);
        let lines: Vec<Arc<CreditLine>> = (0..2)
            .map(|_| Arc::new(CreditLine::new(pool.clone(), 1, 1)))
            .collect();
        let mut rxs = Vec::new();
        let mut senders = Vec::new();
        for line in &lines {
            let (mut tx, rx) = spsc::channel::<u8>(2);
            rxs.push(rx);
            let line = line.clone();
            senders.push(thread::spawn(move || {
                let mut sent = 0u8;
                while sent < 2 {
                    let got = line.try_acquire(usize::from(2 - sent));
                    if got == 0 {
                        thread::yield_now();
                        continue;
                    }
                    for _ in 0..got {
                        assert!(tx.push(sent).is_ok(), "a credit without a free slot");
                        sent += 1;
                    }
                }
            }));
        }
        let mut received = [0usize; 2];
        while received != [2, 2] {
            let mut any = false;
            for (i, rx) in rxs.iter_mut().enumerate() {
                let n = rx.pop_batch(usize::MAX).count();
                if n > 0 {
                    lines[i].release(n);
                    received[i] += n;
                    any = true;
                }
            }
            if !any {
                thread::yield_now();
            }
        }
        for s in senders {
            s.join().unwrap();
        }
        for line in &lines {
            assert_eq!(line.borrowed(), 0, "loans not repaid");
            assert_eq!(line.exclusive_free(), 1);
        }
        assert_eq!(pool.available(), 1, "pool credits created or lost");
    });
}
