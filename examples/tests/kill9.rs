//! The kill -9 harness: runs `kill9_pipeline` (a keyed, windowed pipeline
//! with a `process` stage, from JSON-lines files into the exactly-once file
//! sink, a checkpoint every 100 ms), kills it with SIGKILL at random times
//! and at failpoints on each boundary of the two-phase commit (aborting
//! the process there), restarts it on 1, 2 or 3 cores, and checks that
//! what was committed is exactly what one uninterrupted run gives: 0
//! records lost, 0 duplicated.
//!
//! `LAMINAR_KILL_POINTS` sets how many kills (20 by default, what CI runs;
//! `scripts/kill9.sh 100` for the long run).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use laminar::sink::file::FileSink;
use laminar_examples::kill9::{self, Summary};

/// Records per key: enough that a run lasts long enough to be killed.
const PER_KEY: u64 = 20_000;

/// Each boundary of a checkpoint's durable order, with the hit to stop at.
const FAILPOINTS: &[&str] = &[
    "checkpoint.snapshot_written@3",
    "checkpoint.pre_committed@2",
    "checkpoint.before_manifest@2",
    "checkpoint.after_manifest@2",
    "checkpoint.after_commit@3",
    "sink.pre_commit.before_fsync@5",
    "sink.pre_commit.after_fsync@3",
    "sink.commit.before_rename@4",
    "sink.commit.after_rename@2",
];

/// A small deterministic generator for the kill times.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// How one start of the process ended.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// It finished the input and exited 0.
    Finished,
    /// It was killed, by the signal or at the failpoint.
    Killed,
}

fn start(dirs: &Dirs, cores: usize, failpoint: Option<&str>) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kill9_pipeline"));
    cmd.arg(&dirs.input)
        .arg(&dirs.output)
        .arg(&dirs.checkpoints)
        .arg(cores.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd.env_remove("LAMINAR_FAILPOINT");
    if let Some(f) = failpoint {
        cmd.env("LAMINAR_FAILPOINT", f);
    }
    cmd.spawn().expect("start kill9_pipeline")
}

/// Waits for the child, killing it with SIGKILL at `kill_after` if given.
fn wait(mut child: std::process::Child, kill_after: Option<Duration>) -> Ended {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            if status.success() {
                return Ended::Finished;
            }
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut err);
            }
            // Killed by the harness's signal or at a failpoint (abort);
            // anything else is a failure of the pipeline.
            use std::os::unix::process::ExitStatusExt;
            let sig = status.signal();
            assert!(
                sig == Some(9) || sig == Some(6),
                "kill9_pipeline failed on its own: {status:?}\n{err}"
            );
            return Ended::Killed;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "kill9_pipeline hung"
        );
        if kill_after.is_some_and(|d| started.elapsed() >= d) {
            // `Child::kill` sends SIGKILL.
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

struct Dirs {
    input: std::path::PathBuf,
    output: std::path::PathBuf,
    checkpoints: std::path::PathBuf,
}

fn fresh(root: &Path, scenario: u32) -> Dirs {
    let d = Dirs {
        input: root.join("input"),
        output: root.join(format!("out-{scenario}")),
        checkpoints: root.join(format!("ckpt-{scenario}")),
    };
    let _ = std::fs::remove_dir_all(&d.output);
    let _ = std::fs::remove_dir_all(&d.checkpoints);
    d
}

/// Lost and duplicated records of `got` against `want`, as multisets.
fn compare(got: &[Summary], want: &[Summary]) -> (u64, u64) {
    let mut count: BTreeMap<&Summary, i64> = BTreeMap::new();
    for s in want {
        *count.entry(s).or_default() += 1;
    }
    for s in got {
        *count.entry(s).or_default() -= 1;
    }
    if std::env::var("KILL9_DEBUG").is_ok() {
        let bad: Vec<_> = count.iter().filter(|(_, c)| **c != 0).take(40).collect();
        eprintln!("differences: {bad:?}");
    }
    let lost = count.values().filter(|&&c| c > 0).map(|&c| c as u64).sum();
    let dup = count
        .values()
        .filter(|&&c| c < 0)
        .map(|&c| (-c) as u64)
        .sum();
    (lost, dup)
}

#[test]
fn kill_9_at_random_times_and_at_failpoints_loses_and_duplicates_nothing() {
    let points: u32 = std::env::var("LAMINAR_KILL_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let root = std::env::temp_dir().join(format!("laminar-kill9-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    kill9::write_inputs(&root.join("input"), PER_KEY).unwrap();
    let want = kill9::expected(PER_KEY);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut kills, mut signals, mut failpoints, mut scenarios, mut starts) = (0u32, 0, 0, 0, 0);
    let mut dirs = fresh(&root, scenarios);
    let mut checked = 0u64;
    while kills < points {
        let cores = 1 + (starts % 3) as usize;
        starts += 1;
        // Odd starts stop at a failpoint, even ones at a random time.
        let (failpoint, kill_after) = if starts % 2 == 1 {
            (
                Some(FAILPOINTS[(starts as usize / 2) % FAILPOINTS.len()]),
                None,
            )
        } else {
            (None, Some(Duration::from_millis(50 + rng.below(700))))
        };
        match wait(start(&dirs, cores, failpoint), kill_after) {
            Ended::Killed => {
                kills += 1;
                if failpoint.is_some() {
                    failpoints += 1;
                } else {
                    signals += 1;
                }
            }
            Ended::Finished => {
                // The input is done before the kill came: check this
                // scenario's output and start another.
                let got = FileSink::committed::<Summary>(&dirs.output).unwrap();
                let (lost, dup) = compare(&got, &want);
                assert_eq!(
                    (lost, dup),
                    (0, 0),
                    "scenario {scenarios}: lost, duplicated"
                );
                checked += got.len() as u64;
                scenarios += 1;
                dirs = fresh(&root, scenarios);
            }
        }
    }
    // The last scenario runs to its end without a kill.
    assert_eq!(wait(start(&dirs, 2, None), None), Ended::Finished);
    let got = FileSink::committed::<Summary>(&dirs.output).unwrap();
    let (lost, dup) = compare(&got, &want);
    checked += got.len() as u64;
    println!(
        "kill9: {kills} kill points ({signals} SIGKILL, {failpoints} failpoints) over {} runs to the end, \
         {starts} starts; {checked} records committed and checked: {lost} lost, {dup} duplicated",
        scenarios + 1
    );
    assert_eq!((lost, dup), (0, 0), "last scenario: lost, duplicated");
    let _ = std::fs::remove_dir_all(&root);
}
