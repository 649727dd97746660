//! The exactly-once file sink: two-phase commit across epochs and cores,
//! recovery (commit again, abort the others), and crashes at its
//! failpoints in a child process.
#![cfg(feature = "json")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use laminar_runtime::sink::file::{FileSink, FileWriter};
use laminar_runtime::sink::{Prepared, Sink, SinkError, SinkWriter};

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    epoch: u64,
    core: u32,
    n: u32,
    text: String,
}

fn row(epoch: u64, core: u32, n: u32) -> Row {
    Row {
        epoch,
        core,
        n,
        text: format!("line \"{n}\"\nof {core}"),
    }
}

/// A fresh directory under the temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "laminar-file-sink-{tag}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn writer(sink: &mut FileSink, core: usize, cores: usize, epoch: u64) -> FileWriter<Row> {
    sink.writer(core, cores, epoch).expect("writer")
}

fn committed(dir: &Path) -> Vec<Row> {
    FileSink::committed(dir).expect("read committed")
}

fn staging_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(".staging"))
        .expect("staging dir")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn part_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("part-"))
        .collect();
    names.sort();
    names
}

#[test]
fn three_epochs_two_cores_commit_everything_once() {
    let tmp = TempDir::new("three");
    let mut sink = FileSink::json_lines(&tmp.0);
    let committer = sink.committer();
    let mut ws = [writer(&mut sink, 0, 2, 0), writer(&mut sink, 1, 2, 0)];
    let mut expected = Vec::new();
    for epoch in 1..=3u64 {
        let mut prepared = Vec::new();
        for (core, w) in ws.iter_mut().enumerate() {
            let core = core as u32;
            for n in 0..(epoch as u32 + core) {
                w.write(row(epoch, core, n)).unwrap();
                expected.push(row(epoch, core, n));
            }
            prepared.push(w.pre_commit(epoch).unwrap());
        }
        for p in &prepared {
            committer.commit(p).unwrap();
        }
    }
    // In name order: epoch, then core; within a file, the core's order.
    assert_eq!(committed(&tmp.0), expected);
    assert_eq!(part_files(&tmp.0).len(), 6);
    assert_eq!(
        part_files(&tmp.0)[0],
        "part-00000000000000000001-0000.jsonl"
    );
    assert!(staging_files(&tmp.0).is_empty());
}

#[test]
fn nothing_is_visible_before_commit() {
    let tmp = TempDir::new("invisible");
    let mut sink = FileSink::json_lines(&tmp.0);
    let mut w = writer(&mut sink, 0, 1, 0);
    w.write(row(1, 0, 0)).unwrap();
    assert!(committed(&tmp.0).is_empty());
    let p = w.pre_commit(1).unwrap();
    assert!(committed(&tmp.0).is_empty());
    assert_eq!(staging_files(&tmp.0), ["1-0.jsonl"]);
    sink.committer().commit(&p).unwrap();
    assert_eq!(committed(&tmp.0), [row(1, 0, 0)]);
}

#[test]
fn an_aborted_epoch_is_never_visible() {
    let tmp = TempDir::new("abort");
    let mut sink = FileSink::json_lines(&tmp.0);
    let committer = sink.committer();
    let mut w = writer(&mut sink, 0, 1, 0);
    w.write(row(1, 0, 0)).unwrap();
    let p1 = w.pre_commit(1).unwrap();
    committer.commit(&p1).unwrap();

    w.write(row(2, 0, 0)).unwrap();
    let p2 = w.pre_commit(2).unwrap();
    committer.abort(&p2).unwrap();
    committer.abort(&p2).unwrap(); // twice: nothing left to remove
    assert!(staging_files(&tmp.0).is_empty());

    w.write(row(3, 0, 0)).unwrap();
    let p3 = w.pre_commit(3).unwrap();
    committer.commit(&p3).unwrap();
    committer.abort_others(&[]).unwrap();
    assert_eq!(committed(&tmp.0), [row(1, 0, 0), row(3, 0, 0)]);
    // Committing the aborted one afterwards cannot bring it back.
    assert!(matches!(committer.commit(&p2), Err(SinkError::Missing(_))));
    assert_eq!(committed(&tmp.0), [row(1, 0, 0), row(3, 0, 0)]);
}

#[test]
fn committing_twice_is_harmless() {
    let tmp = TempDir::new("twice");
    let mut sink = FileSink::json_lines(&tmp.0);
    let committer = sink.committer();
    let mut w = writer(&mut sink, 0, 1, 0);
    w.write(row(1, 0, 0)).unwrap();
    w.write(row(1, 0, 1)).unwrap();
    let p = w.pre_commit(1).unwrap();
    committer.commit(&p).unwrap();
    committer.commit(&p).unwrap();
    // A committer of another sink value (a recovered run) too.
    FileSink::json_lines(&tmp.0).committer().commit(&p).unwrap();
    assert_eq!(committed(&tmp.0), [row(1, 0, 0), row(1, 0, 1)]);
    assert_eq!(part_files(&tmp.0).len(), 1);
}

#[test]
fn commit_after_a_crash_between_pre_commit_and_commit() {
    let tmp = TempDir::new("crash-commit");
    let recorded: Vec<Prepared> = {
        let mut sink = FileSink::json_lines(&tmp.0);
        let mut w0 = writer(&mut sink, 0, 2, 0);
        let mut w1 = writer(&mut sink, 1, 2, 0);
        w0.write(row(1, 0, 0)).unwrap();
        w1.write(row(1, 1, 0)).unwrap();
        let ps = vec![w0.pre_commit(1).unwrap(), w1.pre_commit(1).unwrap()];
        // Written after the checkpoint, lost in the crash (and replayed).
        w0.write(row(2, 0, 0)).unwrap();
        ps
        // Everything dropped here: the "crash".
    };
    assert!(committed(&tmp.0).is_empty());

    // Recovery from epoch 1, as the runtime does it.
    let mut sink = FileSink::json_lines(&tmp.0);
    let committer = sink.committer();
    for p in &recorded {
        committer.commit(p).unwrap();
    }
    committer.abort_others(&recorded).unwrap();
    assert!(staging_files(&tmp.0).is_empty());
    assert_eq!(committed(&tmp.0), [row(1, 0, 0), row(1, 1, 0)]);

    let mut w0 = writer(&mut sink, 0, 2, 1);
    w0.write(row(2, 0, 0)).unwrap();
    let p = w0.pre_commit(2).unwrap();
    committer.commit(&p).unwrap();
    assert_eq!(
        committed(&tmp.0),
        [row(1, 0, 0), row(1, 1, 0), row(2, 0, 0)]
    );
}

#[test]
fn abort_others_removes_unrecorded_and_keeps_recorded() {
    let tmp = TempDir::new("abort-others");
    let (recorded, unrecorded) = {
        let mut sink = FileSink::json_lines(&tmp.0);
        let mut w0 = writer(&mut sink, 0, 2, 0);
        let mut w1 = writer(&mut sink, 1, 2, 0);
        w0.write(row(1, 0, 0)).unwrap();
        w1.write(row(1, 1, 0)).unwrap();
        let recorded = vec![w0.pre_commit(1).unwrap(), w1.pre_commit(1).unwrap()];
        // Epoch 2 prepared on both cores, but its manifest never written.
        w0.write(row(2, 0, 0)).unwrap();
        w1.write(row(2, 1, 0)).unwrap();
        let unrecorded = vec![w0.pre_commit(2).unwrap(), w1.pre_commit(2).unwrap()];
        // And epoch 3 half-written.
        w0.write(row(3, 0, 0)).unwrap();
        (recorded, unrecorded)
    };
    assert_eq!(
        staging_files(&tmp.0),
        [
            "1-0.jsonl",
            "1-1.jsonl",
            "2-0.jsonl",
            "2-1.jsonl",
            "3-0.jsonl"
        ]
    );

    let committer = FileSink::json_lines(&tmp.0).committer();
    // Before the recorded ones are committed: they are kept.
    committer.abort_others(&recorded).unwrap();
    assert_eq!(staging_files(&tmp.0), ["1-0.jsonl", "1-1.jsonl"]);
    for p in &recorded {
        committer.commit(p).unwrap();
    }
    committer.abort_others(&recorded).unwrap();
    assert!(staging_files(&tmp.0).is_empty());
    assert_eq!(committed(&tmp.0), [row(1, 0, 0), row(1, 1, 0)]);
    for p in &unrecorded {
        assert!(matches!(committer.commit(p), Err(SinkError::Missing(_))));
    }
    assert_eq!(committed(&tmp.0), [row(1, 0, 0), row(1, 1, 0)]);
}

#[test]
fn an_empty_epoch_is_a_persisted_empty_transaction() {
    let tmp = TempDir::new("empty");
    let mut sink = FileSink::json_lines(&tmp.0);
    let committer = sink.committer();
    let mut w = writer(&mut sink, 0, 1, 0);
    let p1 = w.pre_commit(1).unwrap();
    assert_eq!(p1.data, b"1-0.jsonl");
    let staged = tmp.0.join(".staging/1-0.jsonl");
    assert_eq!(std::fs::metadata(&staged).unwrap().len(), 0);
    committer.commit(&p1).unwrap();
    committer.commit(&p1).unwrap();
    assert_eq!(part_files(&tmp.0), ["part-00000000000000000001-0000.jsonl"]);
    assert!(committed(&tmp.0).is_empty());

    w.write(row(2, 0, 0)).unwrap();
    let p2 = w.pre_commit(2).unwrap();
    committer.commit(&p2).unwrap();
    assert_eq!(committed(&tmp.0), [row(2, 0, 0)]);
}

#[test]
fn a_recovered_writer_truncates_what_a_crashed_run_left() {
    let tmp = TempDir::new("truncate");
    std::fs::create_dir_all(tmp.0.join(".staging")).unwrap();
    // A crashed run was writing epoch 5's file on core 1; recovery from 4
    // did not abort it (the runtime should, but need not, for this).
    std::fs::write(
        tmp.0.join(".staging/5-1.jsonl"),
        b"{\"epoch\":5,\"core\":1,\"n\":99,\"text\":\"stale\"}\n{\"epo",
    )
    .unwrap();
    let mut sink = FileSink::json_lines(&tmp.0);
    let mut w = writer(&mut sink, 1, 2, 4);
    w.write(row(5, 1, 0)).unwrap();
    let p = w.pre_commit(5).unwrap();
    assert_eq!(p.data, b"5-1.jsonl");
    sink.committer().commit(&p).unwrap();
    assert_eq!(committed(&tmp.0), [row(5, 1, 0)]);

    // The same with nothing written: the empty transaction is empty.
    std::fs::write(tmp.0.join(".staging/6-1.jsonl"), b"garbage\n").unwrap();
    let p = w.pre_commit(6).unwrap();
    sink.committer().commit(&p).unwrap();
    assert_eq!(committed(&tmp.0), [row(5, 1, 0)]);
}

#[test]
fn abort_others_spares_a_live_writer() {
    let tmp = TempDir::new("live");
    let mut sink = FileSink::json_lines(&tmp.0);
    let committer = sink.committer();
    let mut w = writer(&mut sink, 0, 1, 0);
    w.write(row(1, 0, 0)).unwrap();
    // Recovery running late, after writing resumed.
    committer.abort_others(&[]).unwrap();
    w.write(row(1, 0, 1)).unwrap();
    let p = w.pre_commit(1).unwrap();
    committer.commit(&p).unwrap();
    assert_eq!(committed(&tmp.0), [row(1, 0, 0), row(1, 0, 1)]);

    // A dropped writer's file is an orphan: removed.
    w.write(row(2, 0, 0)).unwrap();
    drop(w);
    assert_eq!(staging_files(&tmp.0), ["2-0.jsonl"]);
    committer.abort_others(&[]).unwrap();
    assert!(staging_files(&tmp.0).is_empty());
}

#[test]
fn skipped_epochs_and_epoch_order() {
    let tmp = TempDir::new("skip");
    let mut sink = FileSink::json_lines(&tmp.0);
    let committer = sink.committer();
    let mut w = writer(&mut sink, 0, 1, 0);
    w.write(row(5, 0, 0)).unwrap();
    // Checkpoints 1 to 4 never reached this sink.
    let p = w.pre_commit(5).unwrap();
    assert_eq!((p.epoch, &p.data[..]), (5, &b"1-0.jsonl"[..]));
    assert!(matches!(
        w.pre_commit(5),
        Err(SinkError::EpochOrder { epoch: 5, last: 5 })
    ));
    committer.commit(&p).unwrap();
    assert_eq!(part_files(&tmp.0), ["part-00000000000000000005-0000.jsonl"]);
    let p = w.pre_commit(6).unwrap();
    assert_eq!(p.data, b"6-0.jsonl");
}

#[test]
fn foreign_transactions_are_refused() {
    let tmp = TempDir::new("foreign");
    let mut sink = FileSink::json_lines(&tmp.0);
    let committer = sink.committer();
    let _w = writer(&mut sink, 0, 1, 0);
    std::fs::write(tmp.0.join("secret"), b"x").unwrap();
    for (epoch, core, data) in [
        (1, 0, &b"../secret"[..]),
        (1, 0, b"1-1.jsonl"), // another core's
        (1, 0, b"2-0.jsonl"), // staged after its epoch
        (1, 0, b""),
        (1, 0, b"\xff-0.jsonl"),
    ] {
        let p = Prepared {
            epoch,
            core,
            data: data.to_vec(),
        };
        assert!(
            matches!(committer.commit(&p), Err(SinkError::BadTransaction(_))),
            "{p:?}"
        );
        assert!(matches!(
            committer.abort(&p),
            Err(SinkError::BadTransaction(_))
        ));
    }
    assert!(tmp.0.join("secret").exists());
}

#[test]
fn committed_reports_a_bad_line() {
    let tmp = TempDir::new("bad-line");
    std::fs::create_dir_all(&tmp.0).unwrap();
    std::fs::write(tmp.0.join("part-00000000000000000001-0000.jsonl"), b"{}\n").unwrap();
    match FileSink::committed::<Row>(&tmp.0) {
        Err(SinkError::Io { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::InvalidData)
        }
        other => panic!("expected an InvalidData error, got {other:?}"),
    }
    assert!(FileSink::committed::<Row>(tmp.0.join("missing")).is_err());
}

// ---------------------------------------------------------------------------
// Crashes at failpoints, in a child process running one of these tests.

/// Set in the child: the directory to write into.
const CHILD_DIR: &str = "LAMINAR_FILE_SINK_TEST_CHILD_DIR";

/// Runs test `name` of this binary in a child process with `failpoint`
/// armed and `dir` as its directory; asserts that it died of the abort.
fn run_child_until_failpoint(name: &str, failpoint: &str, dir: &Path) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(laminar_runtime::failpoint::ENV_VAR, failpoint)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "child did not crash: {stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(6),
            "not SIGABRT: {:?}\n{stderr}",
            out.status
        );
    }
    let fp = failpoint.split('@').next().unwrap();
    assert!(stderr.contains(&format!("failpoint {fp}")), "{stderr}");
}

/// The child's work: epoch 1 on two cores; writes the "manifest" (the
/// prepared transactions) to `dir/manifest.json` before committing, as the
/// runtime does; epoch 2 on core 0, then the same for it. Some failpoint
/// kills it on the way.
fn child_run(dir: &Path) {
    let mut sink = FileSink::json_lines(dir);
    let committer = sink.committer();
    let mut w0 = writer(&mut sink, 0, 2, 0);
    let mut w1 = writer(&mut sink, 1, 2, 0);
    for epoch in 1..=2 {
        w0.write(row(epoch, 0, 0)).unwrap();
        w0.write(row(epoch, 0, 1)).unwrap();
        w1.write(row(epoch, 1, 0)).unwrap();
        let ps = vec![w0.pre_commit(epoch).unwrap(), w1.pre_commit(epoch).unwrap()];
        let manifest = dir.join("manifest.json");
        let tmp = dir.join("manifest.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec(&ps).unwrap()).unwrap();
        std::fs::rename(&tmp, &manifest).unwrap();
        for p in &ps {
            committer.commit(p).unwrap();
        }
    }
    panic!("the failpoint did not fire");
}

/// What the parent does after the crash: recovery from the last manifest.
fn recover(dir: &Path) -> Vec<Prepared> {
    let manifest: Vec<Prepared> = match std::fs::read(dir.join("manifest.json")) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
        Err(_) => Vec::new(),
    };
    let committer = FileSink::json_lines(dir).committer();
    for p in &manifest {
        committer.commit(p).unwrap();
    }
    committer.abort_others(&manifest).unwrap();
    assert!(staging_files(dir).is_empty());
    manifest
}

fn epoch_rows(epoch: u64) -> Vec<Row> {
    vec![row(epoch, 0, 0), row(epoch, 0, 1), row(epoch, 1, 0)]
}

#[test]
fn crash_before_rename_then_recovery_commits() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        return child_run(Path::new(&dir));
    }
    let tmp = TempDir::new("fp-before-rename");
    std::fs::create_dir_all(&tmp.0).unwrap();
    run_child_until_failpoint(
        "crash_before_rename_then_recovery_commits",
        "sink.commit.before_rename",
        &tmp.0,
    );
    // Died before the first rename: both staging files there, nothing
    // visible.
    assert_eq!(staging_files(&tmp.0), ["1-0.jsonl", "1-1.jsonl"]);
    assert!(committed(&tmp.0).is_empty());
    let manifest = recover(&tmp.0);
    assert_eq!(manifest.len(), 2);
    assert_eq!(committed(&tmp.0), epoch_rows(1));
}

#[test]
fn crash_at_the_second_rename_then_recovery_commits_the_rest() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        return child_run(Path::new(&dir));
    }
    let tmp = TempDir::new("fp-rename-2");
    std::fs::create_dir_all(&tmp.0).unwrap();
    run_child_until_failpoint(
        "crash_at_the_second_rename_then_recovery_commits_the_rest",
        "sink.commit.before_rename@2",
        &tmp.0,
    );
    // Core 0's transaction committed, core 1's not yet.
    assert_eq!(staging_files(&tmp.0), ["1-1.jsonl"]);
    assert_eq!(committed(&tmp.0), [row(1, 0, 0), row(1, 0, 1)]);
    recover(&tmp.0);
    assert_eq!(committed(&tmp.0), epoch_rows(1));
}

#[test]
fn crash_after_rename_then_recovery_is_idempotent() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        return child_run(Path::new(&dir));
    }
    let tmp = TempDir::new("fp-after-rename");
    std::fs::create_dir_all(&tmp.0).unwrap();
    run_child_until_failpoint(
        "crash_after_rename_then_recovery_is_idempotent",
        "sink.commit.after_rename",
        &tmp.0,
    );
    assert_eq!(staging_files(&tmp.0), ["1-1.jsonl"]);
    recover(&tmp.0);
    assert_eq!(committed(&tmp.0), epoch_rows(1));
}

#[test]
fn crash_in_pre_commit_then_recovery_aborts_it() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        return child_run(Path::new(&dir));
    }
    for failpoint in [
        "sink.pre_commit.before_fsync@4",
        "sink.pre_commit.after_fsync@4",
    ] {
        let tmp = TempDir::new("fp-pre-commit");
        std::fs::create_dir_all(&tmp.0).unwrap();
        run_child_until_failpoint(
            "crash_in_pre_commit_then_recovery_aborts_it",
            failpoint,
            &tmp.0,
        );
        // Epoch 1 committed; epoch 2 prepared on core 0, being prepared
        // on core 1, never recorded.
        assert_eq!(committed(&tmp.0), epoch_rows(1), "{failpoint}");
        assert_eq!(staging_files(&tmp.0), ["2-0.jsonl", "2-1.jsonl"]);
        let manifest = recover(&tmp.0);
        assert_eq!(manifest.iter().map(|p| p.epoch).collect::<Vec<_>>(), [1, 1]);
        assert_eq!(committed(&tmp.0), epoch_rows(1), "{failpoint}");
        // The recovered run replays epoch 2.
        let mut sink = FileSink::json_lines(&tmp.0);
        let committer = sink.committer();
        let mut w0 = writer(&mut sink, 0, 2, 1);
        let mut w1 = writer(&mut sink, 1, 2, 1);
        w0.write(row(2, 0, 0)).unwrap();
        w0.write(row(2, 0, 1)).unwrap();
        w1.write(row(2, 1, 0)).unwrap();
        for p in [w0.pre_commit(2).unwrap(), w1.pre_commit(2).unwrap()] {
            committer.commit(&p).unwrap();
        }
        let mut all = epoch_rows(1);
        all.extend(epoch_rows(2));
        assert_eq!(committed(&tmp.0), all, "{failpoint}");
    }
}
