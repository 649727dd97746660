//! The write-ahead log under `SyncPolicy::Always`, killed in a child
//! process in the middle of a submit (at the failpoints before the record
//! is written and after it is written but before its fsync): every submit
//! the child had acknowledged is in the reopened log, in order, and the
//! log is well-formed after its torn tail is cut.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use laminar_runtime::source::{Read, Source, Split};
use laminar_runtime::wal::{self, SyncPolicy, WalOptions};

/// Set in the child: the directory to write into.
const CHILD_DIR: &str = "LAMINAR_WAL_TEST_CHILD_DIR";

/// The submit the failpoints kill the child in (1-based).
const NTH: u64 = 37;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("laminar-wal-crash-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn event(i: u64) -> (u64, String) {
    (i, format!("event {i}"))
}

/// The child's work: submit events 0, 1, 2, ... and after each submit that
/// returned `Ok`, append its count to `dir/acked` (unbuffered: a write the
/// kernel has survives the abort). A failpoint kills it on the way.
fn child_run(dir: &Path) {
    let (mut input, _source) =
        wal::log::<(u64, String)>(dir.join("log"), WalOptions::new().sync(SyncPolicy::Always))
            .unwrap();
    let mut acked = std::fs::File::create(dir.join("acked")).unwrap();
    for i in 0..1000 {
        input.submit(&event(i)).unwrap();
        writeln!(acked, "{}", i + 1).unwrap();
    }
    panic!("the failpoint did not fire");
}

/// Runs test `name` of this binary in a child with `failpoint` armed;
/// asserts that it died of the abort and returns how many submits it had
/// acknowledged.
fn crash_child(name: &str, failpoint: &str, dir: &Path) -> u64 {
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
        assert_eq!(out.status.signal(), Some(6), "not SIGABRT: {stderr}");
    }
    let fp = failpoint.split('@').next().unwrap();
    assert!(stderr.contains(&format!("failpoint {fp}")), "{stderr}");
    let acked = std::fs::read_to_string(dir.join("acked")).unwrap();
    acked.lines().last().map_or(0, |l| l.parse().unwrap())
}

/// Reads the whole log in `dir`; asserts that it reopens without a cut
/// (unless `cut`), and that its records are events 0, 1, ... in order.
fn reopen(dir: &Path, cut: bool) -> u64 {
    let (input, mut source) =
        wal::log::<(u64, String)>(dir.join("log"), WalOptions::new()).unwrap();
    assert_eq!(
        input.cut_bytes() > 0,
        cut,
        "cut {} bytes",
        input.cut_bytes()
    );
    assert!(!input.is_closed());
    let errors = source.errors();
    let mut split = source.split(0, 1);
    let mut got = Vec::new();
    loop {
        let mut buf = Vec::new();
        let r = split.read(&mut buf, 16);
        got.extend(buf);
        match r {
            Read::More => {}
            Read::Idle => break,
            Read::End => panic!("an unclosed log ended: {errors:?}"),
        }
    }
    assert_eq!((errors.corrupt(), errors.failed()), (0, 0));
    let n = got.len() as u64;
    assert_eq!(got, (0..n).map(event).collect::<Vec<_>>());
    n
}

#[test]
fn wal_crash_before_the_write_keeps_every_acknowledged_submit() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        return child_run(Path::new(&dir));
    }
    let tmp = TempDir::new("before-write");
    let acked = crash_child(
        "wal_crash_before_the_write_keeps_every_acknowledged_submit",
        &format!("wal.append.before_write@{NTH}"),
        &tmp.0,
    );
    assert_eq!(acked, NTH - 1);
    // The record being submitted never reached the file.
    assert_eq!(reopen(&tmp.0, false), acked);
}

#[test]
fn wal_crash_before_the_fsync_keeps_every_acknowledged_submit() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        return child_run(Path::new(&dir));
    }
    let tmp = TempDir::new("after-write");
    let acked = crash_child(
        "wal_crash_before_the_fsync_keeps_every_acknowledged_submit",
        &format!("wal.append.after_write@{NTH}"),
        &tmp.0,
    );
    assert_eq!(acked, NTH - 1);
    // The unacknowledged record reached the OS, so a process crash keeps
    // it: in doubt, and whole.
    assert_eq!(reopen(&tmp.0, false), acked + 1);

    // Had the crash torn its write, the log is cut back to the
    // acknowledged records, at any byte of the torn one.
    let path = tmp.0.join("log").join(wal::FILE_NAME);
    let bytes = std::fs::read(&path).unwrap();
    let last_len = 8 + wal_payload_len(&event(acked));
    let start = bytes.len() - last_len;
    for keep in [1, 7, 8, 9, last_len - 1] {
        std::fs::write(&path, &bytes[..start + keep]).unwrap();
        assert_eq!(reopen(&tmp.0, true), acked, "torn after {keep} bytes");
        assert_eq!(std::fs::metadata(&path).unwrap().len() as usize, start);
    }
}

/// The payload length of one event: its record's length less the header,
/// measured on a log of its own.
fn wal_payload_len(e: &(u64, String)) -> usize {
    let tmp = TempDir::new("measure");
    let (mut input, _) = wal::log::<(u64, String)>(&tmp.0, WalOptions::new()).unwrap();
    (input.submit(e).unwrap() - 8) as usize
}
