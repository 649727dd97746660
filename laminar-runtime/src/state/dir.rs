//! The state directory as a whole: checked and locked when a runtime is
//! built, held for the runtime's lifetime.
//!
//! ```text
//! <dir>/laminar.lock                 locked by the runtime using the directory;
//!                                    holds its process id
//! <dir>/laminar.manifest             the core count the directory was written with
//! <dir>/core-<n>/<stage>.state       one memory-mapped store per core and stage
//! ```
//!
//! Every check here runs in `build`, so that a directory that cannot be
//! used is a [`BuildError`](crate::BuildError), said in words, before any
//! event is taken.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{StateError, StoreChoice};

/// The lock file's name.
const LOCK_FILE: &str = "laminar.lock";
/// The manifest's name.
const MANIFEST: &str = "laminar.manifest";
/// The manifest's format version.
const MANIFEST_VERSION: u32 = 1;

/// Keeps a runtime's state directory for as long as the runtime lives: an
/// exclusive lock on `<dir>/laminar.lock`, released when this is dropped
/// (after the runtime's cores have stopped and closed their stores).
#[derive(Debug)]
pub struct StateDirLock {
    dir: PathBuf,
    /// The lock is the open file: closing it releases it.
    _lock: File,
}

impl StateDirLock {
    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

/// Checks and locks the state directory of `choice`, if it has one, for a
/// runtime of `cores` cores: creates it if missing; fails if the path is
/// not a directory, is not writable, is locked by another live runtime, or
/// was written with another core count (recorded in its manifest at the
/// first build).
pub(crate) fn prepare_dir(
    choice: &StoreChoice,
    cores: usize,
) -> Result<Option<StateDirLock>, StateError> {
    let StoreChoice::Mmap(dir) = choice else {
        return Ok(None);
    };
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(StateError::NotADirectory { path: dir.clone() }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(dir_err(dir))?;
        }
        Err(e) => return Err(dir_err(dir)(e)),
    }
    probe_writable(dir)?;
    let lock = lock_dir(dir)?;
    check_cores(dir, cores)?;
    Ok(Some(StateDirLock {
        dir: dir.clone(),
        _lock: lock,
    }))
}

/// An error of using `path` in the directory: [`StateError::NotWritable`]
/// when the OS refuses the write, else I/O.
fn dir_err(path: &Path) -> impl FnOnce(io::Error) -> StateError + '_ {
    move |source| match source.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            StateError::NotWritable {
                path: path.to_path_buf(),
                source,
            }
        }
        _ => StateError::Io {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Creates and removes a file in `dir`: the stores will create theirs, and
/// finding out now makes it a build error about the directory rather than
/// one about a core's store (and works where the lock file already exists).
fn probe_writable(dir: &Path) -> Result<(), StateError> {
    let probe = dir.join(format!(".laminar-probe-{}", std::process::id()));
    let _ = fs::remove_file(&probe);
    File::create(&probe).map_err(dir_err(dir))?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// Takes the directory's lock, and writes this process's id into the lock
/// file for the message of whoever finds it locked.
fn lock_dir(dir: &Path) -> Result<File, StateError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(dir_err(dir))?;
    match super::mmap::try_lock_patiently(&file) {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(StateError::Locked {
                path: dir.to_path_buf(),
                pid: fs::read_to_string(&path)
                    .ok()
                    .and_then(|s| s.trim().parse().ok()),
            });
        }
        // A file system without locks: nothing can be checked, and the
        // restriction (one runtime per directory) is documented.
        Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => {}
        Err(fs::TryLockError::Error(e)) => return Err(dir_err(&path)(e)),
    }
    // Only truncated once locked: the pid in the file is the holder's.
    file.set_len(0).map_err(dir_err(&path))?;
    (&file)
        .write_all(format!("{}\n", std::process::id()).as_bytes())
        .map_err(dir_err(&path))?;
    Ok(file)
}

/// Compares `cores` with the core count the directory was written with,
/// and records it at the first build.
fn check_cores(dir: &Path, cores: usize) -> Result<(), StateError> {
    let path = dir.join(MANIFEST);
    let on_disk = match fs::read_to_string(&path) {
        Ok(text) => Some(
            parse_manifest(&text).map_err(|reason| StateError::BadManifest {
                path: path.clone(),
                reason,
            })?,
        ),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // No manifest: new, or written before manifests existed, when
            // the core-N directories are the only record of the count.
            let found = cores_in_dirs(dir)?;
            if found.is_none_or(|n| n == cores) {
                write_manifest(dir, &path, cores)?;
            }
            found
        }
        Err(e) => return Err(dir_err(&path)(e)),
    };
    match on_disk {
        Some(on_disk) if on_disk != cores => Err(StateError::CoresChanged {
            path: dir.to_path_buf(),
            on_disk,
            now: cores,
        }),
        _ => Ok(()),
    }
}

/// The core count of a manifest.
fn parse_manifest(text: &str) -> Result<usize, String> {
    let mut version = None;
    let mut cores = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line `{line}` is not `key = value`"));
        };
        let value = value.trim();
        match key.trim() {
            "version" => version = Some(value.to_owned()),
            "cores" => {
                cores = Some(
                    value
                        .parse::<usize>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("`cores = {value}` is not a core count"))?,
                )
            }
            _ => {}
        }
    }
    match version.as_deref() {
        Some(v) if v == MANIFEST_VERSION.to_string() => {}
        Some(v) => return Err(format!("unknown version {v}")),
        None => return Err("no `version`".to_owned()),
    }
    cores.ok_or_else(|| "no `cores`".to_owned())
}

/// One more than the highest `n` of the `core-<n>` directories, if any.
fn cores_in_dirs(dir: &Path) -> Result<Option<usize>, StateError> {
    let entries = fs::read_dir(dir).map_err(dir_err(dir))?;
    let mut most = None;
    for entry in entries {
        let entry = entry.map_err(dir_err(dir))?;
        let name = entry.file_name();
        let n = name
            .to_str()
            .and_then(|s| s.strip_prefix("core-"))
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(n) = n {
            most = Some(most.map_or(n + 1, |m: usize| m.max(n + 1)));
        }
    }
    Ok(most)
}

/// Writes the manifest whole or not at all: into a temporary file, synced,
/// renamed over.
fn write_manifest(dir: &Path, path: &Path, cores: usize) -> Result<(), StateError> {
    let tmp = dir.join(format!("{MANIFEST}.tmp"));
    let text = format!(
        "# Laminar state directory: written at the first build, checked at every build.\n\
         # State is kept per core; a runtime with another core count cannot use it.\n\
         version = {MANIFEST_VERSION}\n\
         cores = {cores}\n"
    );
    let written = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(dir_err(path)(e));
    }
    // Best effort, as for compaction: make the rename durable.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Temp(PathBuf);

    impl Temp {
        fn new(tag: &str) -> Self {
            use std::sync::atomic::{AtomicU64, Ordering};
            static N: AtomicU64 = AtomicU64::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir()
                .join(format!("laminar-unit-dir-{tag}-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            Temp(path)
        }
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn prepare(dir: &Path, cores: usize) -> Result<Option<StateDirLock>, StateError> {
        prepare_dir(&StoreChoice::Mmap(dir.to_path_buf()), cores)
    }

    #[test]
    fn memory_needs_no_directory() {
        assert!(prepare_dir(&StoreChoice::Memory, 3).unwrap().is_none());
    }

    #[test]
    fn the_manifest_records_the_first_core_count() {
        let t = Temp::new("manifest");
        let lock = prepare(&t.0, 3).unwrap().unwrap();
        assert_eq!(lock.path(), t.0);
        let text = fs::read_to_string(t.0.join(MANIFEST)).unwrap();
        assert_eq!(parse_manifest(&text), Ok(3));
        let pid = fs::read_to_string(t.0.join(LOCK_FILE)).unwrap();
        assert_eq!(pid.trim(), std::process::id().to_string());
        drop(lock);
        assert!(matches!(
            prepare(&t.0, 4),
            Err(StateError::CoresChanged {
                on_disk: 3,
                now: 4,
                ..
            })
        ));
        drop(prepare(&t.0, 3).unwrap());
    }

    #[test]
    fn without_a_manifest_the_core_directories_say_the_count() {
        let t = Temp::new("no-manifest");
        fs::create_dir_all(t.0.join("core-0")).unwrap();
        fs::create_dir_all(t.0.join("core-1")).unwrap();
        assert!(matches!(
            prepare(&t.0, 1),
            Err(StateError::CoresChanged {
                on_disk: 2,
                now: 1,
                ..
            })
        ));
        assert!(
            !t.0.join(MANIFEST).exists(),
            "nothing recorded on a mismatch"
        );
        drop(prepare(&t.0, 2).unwrap());
        assert_eq!(
            parse_manifest(&fs::read_to_string(t.0.join(MANIFEST)).unwrap()),
            Ok(2)
        );
    }

    #[test]
    fn a_bad_manifest_is_named() {
        let t = Temp::new("bad-manifest");
        fs::create_dir_all(&t.0).unwrap();
        for (text, reason) in [
            ("version = 1\n", "no `cores`"),
            ("cores = 2\n", "no `version`"),
            ("version = 9\ncores = 2\n", "unknown version 9"),
            (
                "version = 1\ncores = zero\n",
                "`cores = zero` is not a core count",
            ),
            (
                "version = 1\ncores = 0\n",
                "`cores = 0` is not a core count",
            ),
            ("garbage", "line `garbage` is not `key = value`"),
        ] {
            fs::write(t.0.join(MANIFEST), text).unwrap();
            match prepare(&t.0, 2) {
                Err(StateError::BadManifest { reason: r, .. }) => assert_eq!(r, reason),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
