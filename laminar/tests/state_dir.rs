//! `state_dir` errors are typed and come from `build`, before any event:
//! a path that is a file, a directory that is not writable, a directory a
//! live runtime holds, a stage whose state type changed since the last run,
//! a core count other than the directory's, a corrupt state file, and a full
//! disk (a typed error at build or from the run, never SIGBUS).

use std::path::{Path, PathBuf};

use laminar::prelude::*;
use laminar::{BuildError, RuntimeError, StateError};

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "laminar-state-dir-{tag}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn counts() -> impl Pipeline<In = (u64, u64), Out = (u64, (u64, u64))> {
    stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> fold((0u64, 0u64), |(n, sum), e| (n + 1, sum + e.1))
    }
}

/// The same stage, at the same place, with another state type.
fn sums() -> impl Pipeline<In = (u64, u64), Out = (u64, u64)> {
    stream! {
        (u64, u64)
        -> key_by(|e| e.0)
        -> fold(0u64, |sum, e| sum + e.1)
    }
}

fn run<P: Pipeline<In = (u64, u64)>>(
    p: P,
    dir: &Path,
    cores: usize,
    input: &[(u64, u64)],
) -> Vec<P::Out>
where
    P::Out: Ord,
{
    let rt = Runtime::builder()
        .cores(cores)
        .state_dir(dir)
        .build(p)
        .expect("runtime");
    rt.input()
        .submit_iter(input.iter().copied())
        .expect("submit");
    let mut out = Vec::new();
    rt.finish_into(&mut out).expect("finish");
    out.sort();
    out
}

/// The `StateError` of a build that must fail for the directory (`core`
/// `None`) or for one core's store.
fn build_error<P: Pipeline>(r: Result<Runtime<P>, BuildError>, dir_level: bool) -> StateError {
    match r {
        Err(BuildError::State { core, source }) => {
            assert_eq!(core.is_none(), dir_level, "core {core:?}: {source}");
            source
        }
        Err(e) => panic!("another build error: {e}"),
        Ok(_) => panic!("built"),
    }
}

#[test]
fn a_state_dir_that_is_a_file_fails_build() {
    let tmp = TempDir::new("file");
    let file = tmp.0.join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let r = Runtime::builder().cores(2).state_dir(&file).build(counts());
    let e = build_error(r, true);
    assert!(
        matches!(&e, StateError::NotADirectory { path } if path == &file),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains(&file.display().to_string()) && msg.contains("is not a directory"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

#[test]
fn a_missing_state_dir_is_created() {
    let tmp = TempDir::new("missing");
    let dir = tmp.0.join("a/b/c");
    assert_eq!(run(counts(), &dir, 2, &[(1, 1)]), [(1, (1, 1))]);
    assert!(dir.join("core-0").is_dir() && dir.join("core-1").is_dir());
}

#[cfg(unix)]
#[test]
fn a_state_dir_that_is_not_writable_fails_build() {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(mnt) = std::env::var(TMPFS_ENV) {
        // A read-only file system: refuses root too.
        return not_writable(Path::new(&mnt));
    }
    let tmp = TempDir::new("readonly");
    let dir = tmp.0.join("ro");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(dir.join("probe"), b"").is_err() {
        return not_writable(&dir);
    }
    // Root (or CAP_DAC_OVERRIDE) writes through permissions.
    #[cfg(target_os = "linux")]
    in_tmpfs("a_state_dir_that_is_not_writable_fails_build", "ro,size=4k");
    #[cfg(not(target_os = "linux"))]
    eprintln!("skipped: this process can write to a 0555 directory");
}

#[cfg(unix)]
fn not_writable(dir: &Path) {
    let r = Runtime::builder().cores(1).state_dir(dir).build(counts());
    let e = build_error(r, true);
    assert!(matches!(e, StateError::NotWritable { .. }), "{e:?}");
    assert!(e.to_string().contains("is not writable"), "{e}");
    println!("tmpfs child: ok");
}

#[test]
fn a_second_runtime_on_a_live_directory_fails_build_naming_the_lock() {
    let dir = TempDir::new("lock");
    let first = Runtime::builder()
        .cores(2)
        .state_dir(&dir.0)
        .build(counts())
        .expect("first runtime");
    first.input().submit_iter([(1, 10), (2, 20)]).unwrap();

    let r = Runtime::builder()
        .cores(2)
        .state_dir(&dir.0)
        .build(counts());
    let e = build_error(r, true);
    match &e {
        StateError::Locked { path, pid } => {
            assert_eq!(path, &dir.0);
            assert_eq!(*pid, Some(std::process::id()));
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("is locked by another running Laminar runtime")
            && msg.contains(&format!("pid {}", std::process::id())),
        "{msg}"
    );

    // Once the first has finished, the directory is free, and its state is
    // there.
    let mut out = Vec::new();
    first.finish_into(&mut out).expect("finish");
    assert_eq!(run(counts(), &dir.0, 2, &[(1, 5)]), [(1, (2, 15))]);
}

#[test]
fn a_changed_state_type_fails_build_naming_the_stage_and_both_types() {
    let dir = TempDir::new("types");
    run(counts(), &dir.0, 2, &[(1, 10), (2, 20)]);

    let r = Runtime::builder().cores(2).state_dir(&dir.0).build(sums());
    let e = build_error(r, false);
    let msg = e.to_string();
    match e {
        StateError::TypeChanged {
            stage,
            on_disk,
            now,
            ..
        } => {
            assert!(stage.contains("fold"), "{stage}");
            assert_eq!(on_disk, "key type `u64` and value type `(u64, u64)`");
            assert_eq!(now, "key type `u64` and value type `u64`");
            assert!(msg.contains(&format!("`{stage}`")), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        msg.contains("(u64, u64)") && msg.contains("value type `u64`"),
        "{msg}"
    );

    // The files were not touched: the old pipeline goes on where it was.
    assert_eq!(run(counts(), &dir.0, 2, &[(1, 1)]), [(1, (2, 11))]);
}

#[test]
fn a_changed_core_count_fails_build() {
    let dir = TempDir::new("cores");
    run(counts(), &dir.0, 2, &[(1, 10), (2, 20), (3, 30)]);
    for cores in [1, 3] {
        let r = Runtime::builder()
            .cores(cores)
            .state_dir(&dir.0)
            .build(counts());
        let e = build_error(r, true);
        assert!(
            matches!(e, StateError::CoresChanged { on_disk: 2, now, .. } if now == cores),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains("with 2 cores") && msg.contains(&format!("has {cores}")),
            "{msg}"
        );
        assert!(
            msg.contains("rescaling") && msg.contains("not supported"),
            "{msg}"
        );
    }
    // The same count goes on where it was.
    assert_eq!(run(counts(), &dir.0, 2, &[(3, 3)]), [(3, (2, 33))]);
}

#[test]
fn a_corrupt_state_file_fails_build() {
    let dir = TempDir::new("corrupt");
    let input: Vec<(u64, u64)> = (0..2_000).map(|i| (i % 50, i)).collect();
    run(counts(), &dir.0, 1, &input);
    let files: Vec<_> = std::fs::read_dir(dir.0.join("core-0"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    let mut bytes = std::fs::read(file).unwrap();
    // A byte in the middle of the log: the records end at the last
    // non-zero byte, and 2,000 of them come before it.
    let end = bytes.iter().rposition(|&b| b != 0).unwrap();
    bytes[end / 2] ^= 0xFF;
    std::fs::write(file, &bytes).unwrap();

    let r = Runtime::builder()
        .cores(1)
        .state_dir(&dir.0)
        .build(counts());
    match build_error(r, false) {
        StateError::Corrupt { path, offset } => {
            assert_eq!(&path, file);
            assert!(offset <= (end / 2) as u64 && offset > 0, "{offset}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        std::fs::read(file).unwrap(),
        bytes,
        "the file was left as it was"
    );
}

/// Tests that need a file system of their own run themselves again in a
/// child process, inside a private mount namespace with a tmpfs at this
/// path.
#[cfg(unix)]
const TMPFS_ENV: &str = "LAMINAR_TEST_TMPFS";

/// Runs test `name` again in a child process with a tmpfs mounted with
/// `options` at a fresh directory (named by `TMPFS_ENV`), and checks that
/// it passed and was not killed by a signal. Mounting needs root and
/// `CAP_SYS_ADMIN` (`unshare -m`); where that is refused this says so and
/// returns.
#[cfg(target_os = "linux")]
fn in_tmpfs(name: &str, options: &str) {
    let mnt = TempDir::new("tmpfs");
    let can = std::process::Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            "mount -t tmpfs -o size=4k laminar-probe \"$0\"",
        ])
        .arg(&mnt.0)
        .output();
    if !can.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: cannot mount a tmpfs in a private mount namespace ({can:?})");
        return;
    }
    let child = std::process::Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            "mount -t tmpfs -o \"$0\" laminar-test \"$1\" && \
             exec \"$2\" --exact \"$3\" --nocapture --test-threads=1",
        ])
        .arg(options)
        .arg(&mnt.0)
        .arg(std::env::current_exe().unwrap())
        .arg(name)
        .env(TMPFS_ENV, &mnt.0)
        .output()
        .expect("run the child");
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        child.status.signal(),
        None,
        "the child died of signal {:?} (SIGBUS is 7):\n{log}",
        child.status.signal()
    );
    assert!(child.status.success(), "{log}");
    assert!(
        log.contains("tmpfs child: ok"),
        "the child did not run the test:\n{log}"
    );
}

/// A full disk, for real: a 4 MiB tmpfs. Before disk blocks were reserved
/// ahead of the map, the run died of SIGBUS once the tmpfs was full; now
/// the stage's put fails with `NoSpace` and `finish` reports it, and a
/// build whose stores cannot preallocate fails. Skipped where a tmpfs
/// cannot be mounted (see `in_tmpfs`); the store-level tests in
/// laminar-runtime cover the same through a test-only disk limit,
/// everywhere.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_a_typed_error_not_sigbus() {
    match std::env::var(TMPFS_ENV) {
        Ok(mnt) => full_disk_child(Path::new(&mnt)),
        Err(_) => in_tmpfs("a_full_disk_is_a_typed_error_not_sigbus", "size=4m"),
    }
}

#[cfg(target_os = "linux")]
fn full_disk_child(mnt: &Path) {
    // A run that outgrows the disk: one core, distinct keys, 2 KiB values.
    // The store preallocates 1 MiB, then 2, then wants 4 and cannot.
    let p = stream! {
        (u64, String)
        -> key_by(|e| e.0)
        -> reduce(|_, e| e)
        -> map(|(k, _)| k)
    };
    let rt = Runtime::builder()
        .cores(1)
        .state_dir(mnt.join("run"))
        .build(p)
        .expect("the first stores fit");
    let mut input = rt.input();
    let mut submitted = 0u64;
    for k in 0..4_000u64 {
        if input.submit((k, "x".repeat(2048))).is_err() {
            break;
        }
        submitted += 1;
    }
    drop(input);
    let mut out = Vec::new();
    match rt.finish_into(&mut out) {
        Err(RuntimeError::State { core, source, .. }) => {
            assert_eq!(core, 0);
            // The cause is typed, not a string: a service can match on it.
            assert!(
                matches!(source, laminar::StateError::NoSpace { .. }),
                "{source:?}"
            );
            let message = source.to_string();
            assert!(message.contains("no room to grow state file"), "{message}");
        }
        other => panic!("{other:?} after {submitted} events"),
    }
    assert!(
        out.len() > 500,
        "{} results before the disk was full",
        out.len()
    );

    // What is left cannot hold 4 more preallocated stores: a build error.
    let p = stream! {
        (u64, String)
        -> key_by(|e| e.0)
        -> reduce(|_, e| e)
    };
    let r = Runtime::builder()
        .cores(4)
        .state_dir(mnt.join("build"))
        .build(p);
    let e = build_error(r, false);
    assert!(matches!(e, StateError::NoSpace { .. }), "{e:?}");
    println!("tmpfs child: ok");
}
