//! What checkpoints cost (issue 15): `checkpoint_cost [bids] [rounds]
//! [keys]`.
//!
//! 1. Nexmark q7 (max price per auction per 10 s window) on 2 cores from a
//!    source, `bids` bids (default 30M), with no checkpoints and with a
//!    checkpoint directory and a checkpoint every second, in interleaved
//!    rounds (default 5); the results of the two are checked equal. Prints
//!    each round's events/s and the median ratio (goal: at least 0.9).
//! 2. A fold over `keys` keys (default 1M) on 2 cores: how long one
//!    checkpoint of that state takes (request to durable), its size on
//!    disk, and how long a recovering `build` takes to read it back and
//!    deal it out (then on 1 core and on 4).

use std::time::{Duration, Instant};

use std::sync::Arc;

use laminar::prelude::*;
use laminar::source::{self, Read, Source, Split};
use laminar_examples::nexmark::{Bid, DEFAULT_RATE, bids, q7};

/// The same bids `reps` times over, each pass later in event time by the
/// span of the bids, so that windows go on: long runs (several checkpoints
/// at one a second) without holding their bids in memory. Core `c` of `n`
/// reads every `n`-th bid.
struct Repeat {
    bids: Arc<[Bid]>,
    reps: u64,
}

struct RepeatSplit {
    bids: Arc<[Bid]>,
    reps: u64,
    rep: u64,
    at: usize,
    step: usize,
    span: u64,
}

impl Source<Bid> for Repeat {
    type Split = RepeatSplit;
    fn split(&mut self, core: usize, cores: usize) -> RepeatSplit {
        let span = self.bids.last().map_or(0, |b| b.date_time)
            - self.bids.first().map_or(0, |b| b.date_time)
            + 1;
        RepeatSplit {
            bids: self.bids.clone(),
            reps: self.reps,
            rep: 0,
            at: core,
            step: cores,
            span,
        }
    }
}

impl Split<Bid> for RepeatSplit {
    fn read(&mut self, buf: &mut Vec<Bid>, max: usize) -> Read {
        while buf.len() < max && self.rep < self.reps {
            if self.at >= self.bids.len() {
                self.rep += 1;
                self.at -= self.bids.len();
                continue;
            }
            let mut b = self.bids[self.at];
            b.date_time += self.rep * self.span;
            buf.push(b);
            self.at += self.step;
        }
        if self.rep >= self.reps {
            Read::End
        } else {
            Read::More
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("laminar-ckpt-cost-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// One q7 run: events/s, checkpoints, their total time, and a digest of
/// the results (count and sum of maxima).
fn q7_run(
    bids: &Arc<[Bid]>,
    reps: u64,
    every: Option<Duration>,
) -> (f64, u64, Duration, (u64, u64)) {
    let dir = tmp("q7");
    let mut b = Runtime::builder().cores(2);
    if let Some(every) = every {
        b = b.checkpoint_dir(&dir).checkpoint_every(every);
    }
    let mut rt = b.build(q7()).expect("build");
    let start = Instant::now();
    rt.attach(Repeat {
        bids: bids.clone(),
        reps,
    });
    let mut out = Vec::new();
    let mut digest = (0u64, 0u64);
    while !rt.sources_done() {
        rt.drain(&mut out);
        for w in out.drain(..) {
            digest.0 += 1;
            digest.1 = digest.1.wrapping_add(w.value.unwrap_or(0));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let report = rt.finish_into(&mut out).expect("finish");
    let secs = start.elapsed().as_secs_f64();
    for w in out.drain(..) {
        digest.0 += 1;
        digest.1 = digest.1.wrapping_add(w.value.unwrap_or(0));
    }
    let _ = std::fs::remove_dir_all(&dir);
    (
        report.read() as f64 / secs,
        report.checkpoints,
        report.checkpoint_time,
        digest,
    )
}

fn dir_size(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let m = e.metadata().unwrap();
        total += if m.is_dir() {
            dir_size(&e.path())
        } else {
            m.len()
        };
    }
    total
}

fn counts() -> impl Pipeline<In = (u64, u64), Out = (u64, u64)> {
    stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> fold(0u64, |n, _e| n + 1)
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let n = args.first().copied().unwrap_or(200_000_000);
    let rounds = args.get(1).copied().unwrap_or(5);
    let keys = args.get(2).copied().unwrap_or(1_000_000) as u64;
    let pass = n.min(5_000_000);
    let reps = n.div_ceil(pass) as u64;
    let bids: Arc<[Bid]> = bids(pass, DEFAULT_RATE).into();

    println!("q7, 2 cores, {pass} bids {reps} times over, {rounds} interleaved rounds");
    let (mut off, mut on, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (a, _, _, da) = q7_run(&bids, reps, None);
        let (b, n, t, db) = q7_run(&bids, reps, Some(Duration::from_secs(1)));
        assert_eq!(da, db, "results with and without checkpoints differ");
        println!(
            "  round {round}: without {:.1} M/s, with {:.1} M/s ({n} checkpoints, {:.1} ms each): {:.3}x",
            a / 1e6,
            b / 1e6,
            t.as_secs_f64() * 1e3 / n.max(1) as f64,
            b / a
        );
        off.push(a);
        on.push(b);
        ratios.push(b / a);
    }
    println!(
        "q7 median: without {:.1} M/s, with a checkpoint every 1 s {:.1} M/s; same-round ratio median {:.3}x",
        median(off) / 1e6,
        median(on) / 1e6,
        median(ratios)
    );

    println!("fold over {keys} keys, 2 cores");
    let (mut took, mut recover1, mut recover2, mut recover4, mut size) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), 0);
    for _ in 0..3 {
        let dir = tmp("keys");
        {
            let mut rt = Runtime::builder()
                .cores(2)
                .checkpoint_dir(&dir)
                .build(counts())
                .expect("build");
            rt.attach(source::from_fn(move |core, cores| {
                (core as u64..keys).step_by(cores).map(|k| (k, k))
            }));
            let mut sink = Vec::new();
            while !rt.sources_done() {
                rt.drain(&mut sink);
                sink.clear();
                std::thread::sleep(Duration::from_millis(1));
            }
            // Let the cores take in what the sources read.
            while rt.progress().events_in < keys {
                rt.drain(&mut sink);
                sink.clear();
                std::thread::sleep(Duration::from_millis(1));
            }
            let start = Instant::now();
            rt.checkpoint().expect("checkpoint");
            took.push(start.elapsed().as_secs_f64() * 1e3);
            size = dir_size(&dir);
        }
        for (cores, into) in [(2, &mut recover2), (1, &mut recover1), (4, &mut recover4)] {
            let start = Instant::now();
            let rt = Runtime::builder()
                .cores(cores)
                .checkpoint_dir(&dir)
                .recover(true)
                .build(counts())
                .expect("recover");
            into.push(start.elapsed().as_secs_f64() * 1e3);
            drop(rt);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!(
        "{keys} keys: checkpoint {:.0} ms (median of 3), {:.1} MB on disk; recovery (build with recover) on 2 cores {:.0} ms, 1 core {:.0} ms, 4 cores {:.0} ms",
        median(took),
        size as f64 / 1e6,
        median(recover2),
        median(recover1),
        median(recover4)
    );
}
