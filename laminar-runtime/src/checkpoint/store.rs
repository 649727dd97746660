//! The checkpoint directory: where snapshots and manifests live, and the
//! order in which they become durable.
//!
//! ```text
//! <dir>/epoch-<n>/core-<c>.snap   each core's snapshot of checkpoint n (fsynced)
//! <dir>/manifest-<n>              the checkpoint's manifest (written as .tmp,
//!                                 fsynced, renamed, the directory fsynced)
//! <dir>/complete-<n>              the sinks' commits of n are done
//! ```
//!
//! A checkpoint counts once its manifest is in place: the manifest is
//! written only after every core's snapshot file is durable, and it names
//! each file with its length and checksum. Epoch numbers go up across
//! runs: a new run numbers its checkpoints after the highest epoch found in
//! the directory, whether that checkpoint completed or not.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::sink::Prepared;

/// One snapshot file a manifest names.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileEntry {
    /// Its name inside the epoch's directory.
    pub name: String,
    /// Its length in bytes.
    pub len: u64,
    /// The CRC-32 of its bytes.
    pub crc: u32,
}

/// What a checkpoint is: written last, after everything it names is
/// durable.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// The checkpoint's number.
    pub epoch: u64,
    /// The cores of the run that took it.
    pub cores: u32,
    /// Every core's snapshot file.
    pub files: Vec<FileEntry>,
    /// The sinks' transactions prepared at it, committed after it.
    pub prepared: Vec<Prepared>,
    /// Taken at the end of the input: the run was complete.
    pub ended: bool,
}

/// Why a checkpoint could not be taken or restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file of the checkpoint directory failed.
    #[error("checkpoint file {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A manifest or snapshot that does not match its checksum or length.
    #[error("checkpoint file {path} is damaged: {why}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What does not match.
        why: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Makes a directory's entries (a new file, a rename) durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// The checkpoint directory of a run.
#[derive(Debug, Clone)]
pub struct CheckpointDir {
    path: PathBuf,
}

impl CheckpointDir {
    /// Opens `path`, creating it.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let path = path.into();
        fs::create_dir_all(&path).map_err(io(&path))?;
        Ok(CheckpointDir { path })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn epoch_dir(&self, epoch: u64) -> PathBuf {
        self.path.join(format!("epoch-{epoch:020}"))
    }

    fn manifest_path(&self, epoch: u64) -> PathBuf {
        self.path.join(format!("manifest-{epoch:020}"))
    }

    fn complete_path(&self, epoch: u64) -> PathBuf {
        self.path.join(format!("complete-{epoch:020}"))
    }

    /// Every epoch number the directory mentions, by its entries' names.
    fn epochs(&self) -> Result<Vec<(u64, &'static str)>, StoreError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.path).map_err(io(&self.path))? {
            let entry = entry.map_err(io(&self.path))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            for prefix in ["epoch-", "manifest-", "complete-"] {
                if let Some(n) = name.strip_prefix(prefix)
                    && let Ok(n) = n.parse::<u64>()
                {
                    out.push((n, prefix));
                }
            }
        }
        Ok(out)
    }

    /// The highest epoch the directory mentions, complete or not: the next
    /// checkpoint takes a higher one.
    pub fn highest_epoch(&self) -> Result<u64, StoreError> {
        Ok(self.epochs()?.iter().map(|(n, _)| *n).max().unwrap_or(0))
    }

    /// Makes `epoch`'s directory, durably: the number is taken.
    pub fn reserve(&self, epoch: u64) -> Result<(), StoreError> {
        let dir = self.epoch_dir(epoch);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        sync_dir(&self.path)
    }

    /// Writes core `core`'s snapshot of `epoch` and makes it durable.
    pub fn write_snapshot(
        &self,
        epoch: u64,
        core: usize,
        bytes: &[u8],
    ) -> Result<FileEntry, StoreError> {
        let dir = self.epoch_dir(epoch);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let name = format!("core-{core}.snap");
        let path = dir.join(&name);
        let mut f = File::create(&path).map_err(io(&path))?;
        f.write_all(bytes).map_err(io(&path))?;
        f.sync_all().map_err(io(&path))?;
        Ok(FileEntry {
            name,
            len: bytes.len() as u64,
            crc: crc32fast::hash(bytes),
        })
    }

    /// Writes `manifest` durably: the epoch's directory and the files in
    /// it first, then the manifest under a temporary name, fsynced, renamed
    /// into place, and the directory fsynced.
    pub fn write_manifest(&self, manifest: &Manifest) -> Result<(), StoreError> {
        let dir = self.epoch_dir(manifest.epoch);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        sync_dir(&dir)?;
        sync_dir(&self.path)?;
        let mut bytes = postcard::to_stdvec(manifest).map_err(|e| StoreError::Damaged {
            path: self.manifest_path(manifest.epoch),
            why: e.to_string(),
        })?;
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        let path = self.manifest_path(manifest.epoch);
        let tmp = path.with_extension("tmp");
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(&bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        drop(f);
        fs::rename(&tmp, &path).map_err(io(&path))?;
        sync_dir(&self.path)
    }

    /// Marks `epoch` complete (its sinks committed), and removes the
    /// checkpoints before it.
    pub fn mark_complete(&self, epoch: u64) -> Result<(), StoreError> {
        let path = self.complete_path(epoch);
        File::create(&path)
            .and_then(|f| f.sync_all())
            .map_err(io(&path))?;
        sync_dir(&self.path)?;
        for (n, prefix) in self.epochs()? {
            if n >= epoch {
                continue;
            }
            let old = self.path.join(format!("{prefix}{n:020}"));
            let removed = if prefix == "epoch-" {
                fs::remove_dir_all(&old)
            } else {
                fs::remove_file(&old)
            };
            removed.map_err(io(&old))?;
        }
        Ok(())
    }

    /// Whether `epoch`'s sinks were committed.
    pub fn is_complete(&self, epoch: u64) -> bool {
        self.complete_path(epoch).exists()
    }

    /// The last checkpoint whose manifest is in place, if any.
    pub fn latest(&self) -> Result<Option<Manifest>, StoreError> {
        let mut manifests: Vec<u64> = self
            .epochs()?
            .into_iter()
            .filter(|(_, p)| *p == "manifest-")
            .map(|(n, _)| n)
            .collect();
        manifests.sort_unstable();
        let Some(&epoch) = manifests.last() else {
            return Ok(None);
        };
        let path = self.manifest_path(epoch);
        let bytes = fs::read(&path).map_err(io(&path))?;
        let damaged = |why: &str| StoreError::Damaged {
            path: path.clone(),
            why: why.to_owned(),
        };
        let Some(body_len) = bytes.len().checked_sub(4) else {
            return Err(damaged("shorter than its checksum"));
        };
        let (body, crc) = bytes.split_at(body_len);
        if crc32fast::hash(body).to_le_bytes() != crc {
            return Err(damaged("checksum does not match"));
        }
        let manifest: Manifest = postcard::from_bytes(body).map_err(|e| damaged(&e.to_string()))?;
        Ok(Some(manifest))
    }

    /// The snapshot files `manifest` names, checked against their length
    /// and checksum.
    pub fn read_snapshots(&self, manifest: &Manifest) -> Result<Vec<Vec<u8>>, StoreError> {
        let dir = self.epoch_dir(manifest.epoch);
        manifest
            .files
            .iter()
            .map(|f| {
                let path = dir.join(&f.name);
                let bytes = fs::read(&path).map_err(io(&path))?;
                if bytes.len() as u64 != f.len || crc32fast::hash(&bytes) != f.crc {
                    return Err(StoreError::Damaged {
                        path,
                        why: "length or checksum differs from the manifest's".into(),
                    });
                }
                Ok(bytes)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("laminar-ckpt-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_manifest_round_trips_and_older_checkpoints_go() {
        let d = CheckpointDir::open(tmp("round")).unwrap();
        assert_eq!(d.latest().unwrap(), None);
        for epoch in 1..=3 {
            let f = d.write_snapshot(epoch, 0, b"state").unwrap();
            let m = Manifest {
                epoch,
                cores: 1,
                files: vec![f],
                prepared: vec![],
                ended: false,
            };
            d.write_manifest(&m).unwrap();
            d.mark_complete(epoch).unwrap();
            assert_eq!(d.latest().unwrap(), Some(m.clone()));
            assert_eq!(d.read_snapshots(&m).unwrap(), vec![b"state".to_vec()]);
        }
        assert_eq!(d.highest_epoch().unwrap(), 3);
        assert!(!d.path().join(format!("epoch-{:020}", 2)).exists());
        // A snapshot without a manifest still takes its number.
        d.write_snapshot(4, 0, b"x").unwrap();
        assert_eq!(d.highest_epoch().unwrap(), 4);
        assert_eq!(d.latest().unwrap().unwrap().epoch, 3);
        fs::remove_dir_all(d.path()).unwrap();
    }

    #[test]
    fn a_snapshot_that_differs_from_its_manifest_is_refused() {
        let d = CheckpointDir::open(tmp("differs")).unwrap();
        let f = d.write_snapshot(1, 0, b"state").unwrap();
        let m = Manifest {
            epoch: 1,
            cores: 1,
            files: vec![f],
            prepared: vec![],
            ended: false,
        };
        d.write_manifest(&m).unwrap();
        d.write_snapshot(1, 0, b"statX").unwrap();
        assert!(matches!(
            d.read_snapshots(&m),
            Err(StoreError::Damaged { .. })
        ));
        fs::remove_dir_all(d.path()).unwrap();
    }
}
