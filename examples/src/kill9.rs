//! The crash harness's pipeline and data: per-key sequence numbers in
//! JSON-lines files, a keyed tumbling window with a `process` stage after
//! it, and the plain reference of what the committed output must be.
//!
//! `src/bin/kill9_pipeline.rs` runs the pipeline from the files into the
//! exactly-once file sink with a checkpoint every 100 ms, recovering from
//! the last checkpoint at every start; `tests/kill9.rs` kills it with
//! SIGKILL at random times and at failpoints on each boundary of the
//! two-phase commit, restarts it on another core count, and compares what
//! was committed with [`expected`].

use std::io::Write;
use std::path::{Path, PathBuf};

use laminar::{Pipeline, stream};
use serde::{Deserialize, Serialize};

/// One input record: the `seq`-th of key `key`, at `ts` ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rec {
    /// The key.
    pub key: u32,
    /// Its sequence number, from 0, one per 10 ms of event time.
    pub seq: u64,
    /// Its event time, ms.
    pub ts: u64,
}

/// One output record: a key's window of 100 ms, and the key's running
/// total of records over its windows so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Summary {
    /// The key.
    pub key: u32,
    /// The window's start, ms.
    pub start: u64,
    /// Records in the window.
    pub count: u64,
    /// The lowest and highest sequence number in it.
    pub first: u64,
    /// See `first`.
    pub last: u64,
    /// Records of the key in this window and every earlier one: kept by
    /// the `process` stage's state, so a state lost or restored twice shows.
    pub total: u64,
}

/// Input files: one per partition.
pub const PARTITIONS: u32 = 4;
/// Keys, dealt to the files by `key % PARTITIONS`.
pub const KEYS: u32 = 20;

/// The pipeline the harness runs. Its lateness (10 s) covers how far apart
/// the partitions may resume after a crash: each core's sources may run up
/// to `max_source_skew` (1 s) ahead of the slowest, a checkpoint records
/// each partition where it was, and a core that reads several partitions
/// after recovery keeps one watermark for them all (see the fault
/// tolerance docs).
pub fn pipeline() -> impl Pipeline<In = Rec, Out = Summary> {
    stream! {
        Rec
        -> event_time(|r| r.ts, lateness = 10s)
        -> key_by(|r| r.key)
        -> window(tumbling(100ms))
        -> aggregate(count(), min(|r| r.seq), max(|r| r.seq))
        -> key_by(|w| w.key)
        -> process(|key, w, total, out| {
            let (count, first, last) = w.value;
            let sum = total.unwrap_or(0u64) + count;
            *total = Some(sum);
            out.emit(Summary {
                key: *key,
                start: w.start,
                count,
                first: first.unwrap_or(u64::MAX),
                last: last.unwrap_or(0),
                total: sum,
            });
        })
    }
}

/// The files of the input: `dir/part-<p>.jsonl`.
pub fn inputs(dir: &Path) -> Vec<PathBuf> {
    (0..PARTITIONS)
        .map(|p| dir.join(format!("part-{p}.jsonl")))
        .collect()
}

/// Writes `per_key` records of each key, each file in time order.
pub fn write_inputs(dir: &Path, per_key: u64) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (p, path) in inputs(dir).into_iter().enumerate() {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        for seq in 0..per_key {
            for key in (0..KEYS).filter(|k| k % PARTITIONS == p as u32) {
                let r = Rec {
                    key,
                    seq,
                    ts: seq * 10,
                };
                writeln!(f, "{{\"key\":{},\"seq\":{},\"ts\":{}}}", r.key, r.seq, r.ts)?;
            }
        }
        f.flush()?;
    }
    Ok(())
}

/// What one uninterrupted run commits, sorted.
pub fn expected(per_key: u64) -> Vec<Summary> {
    let mut out = Vec::new();
    for key in 0..KEYS {
        let mut total = 0;
        // Ten sequence numbers (100 ms) a window.
        for start_seq in (0..per_key).step_by(10) {
            let last = (start_seq + 9).min(per_key - 1);
            let count = last - start_seq + 1;
            total += count;
            out.push(Summary {
                key,
                start: start_seq * 10,
                count,
                first: start_seq,
                last,
                total,
            });
        }
    }
    out.sort_unstable();
    out
}
