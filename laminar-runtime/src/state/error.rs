//! Errors of the state stores and of the state directory.
//!
//! Every variant a user can meet at `build` says, in words, what is wrong
//! and what to do about it: the message is meant to be printed as it is.

use std::path::PathBuf;

/// Why a state operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// A stage whose state checkpoints cannot capture yet met a checkpoint
    /// barrier in a run that keeps checkpoints: the run stops rather than
    /// take a checkpoint that would restore the stage empty.
    #[error(
        "stage `{stage}` keeps state that checkpoints do not capture yet; \
         run this pipeline without `checkpoint_dir`, or use keyed state \
         (`reduce`, `fold`, `process`) or windows and sessions with built-in aggregates"
    )]
    NotCheckpointable {
        /// The stage.
        stage: &'static str,
    },
    /// The file system said no.
    #[error("state file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A key or value could not be encoded or decoded; the codec's own
    /// error is the [`source`](std::error::Error::source) (a
    /// `postcard::Error`, or a fixed-width integer of the wrong length).
    #[error("state codec: {0}")]
    Codec(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A non-empty file that does not start with a valid state header: a
    /// file of some other program, or one whose header never reached the
    /// disk (all zeroes, say). Left as it is.
    #[error(
        "{path} is not a Laminar state file: it does not start with a valid state header \
         (it may belong to another program, or its header never reached the disk); \
         move it away or delete it to start this state from empty"
    )]
    BadHeader {
        /// The file.
        path: PathBuf,
    },
    /// A state file written in another version of the format. Left as it is.
    #[error(
        "state file {path} is in format version {version}, and this Laminar reads version \
         {supported} only; it was written by another Laminar release: delete it to start \
         this state from empty, or run the release that wrote it"
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        version: u8,
        /// The version this build reads and writes.
        supported: u8,
    },
    /// A record in the middle of a state file fails its checksum while
    /// valid records follow it: damage, not a write torn by a crash, so the
    /// store refuses to open rather than drop the records after it. Left as
    /// it is.
    #[error(
        "state file {path} is corrupt at byte {offset}: the record there fails its checksum \
         and valid records follow it, so this is damage, not a torn last write; nothing was \
         dropped or changed. Restore the file from a backup, or delete it to start this state \
         from empty"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where the damaged record starts.
        offset: u64,
    },
    /// The disk (or a quota, or the file size limit) has no room for the
    /// state file to grow. Nothing was written past what was reserved.
    #[error(
        "no room to grow state file {path} to {len} bytes: {source}; free disk space \
         (or raise the quota or file size limit) and run again"
    )]
    NoSpace {
        /// The file.
        path: PathBuf,
        /// The length it was growing to.
        len: u64,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The state file holds another stage's state.
    #[error(
        "state file {path} holds the state of stage `{on_disk}`, not of stage `{now}`; \
         was it copied or renamed? Move it away to start `{now}` from empty"
    )]
    OtherStage {
        /// The file.
        path: PathBuf,
        /// The stage named in the file.
        on_disk: String,
        /// The stage opening it.
        now: String,
    },
    /// A stage's key or value type is not the one its state was written
    /// with.
    #[error(
        "the state of stage `{stage}` in {path} was written with {on_disk}, but the pipeline \
         now has {now}; the stored bytes cannot be read as the new types. Keep the old \
         types, or delete the stage's state files (`{stage}.state` in every core-N \
         directory) to start it from empty"
    )]
    TypeChanged {
        /// The file.
        path: PathBuf,
        /// The stage.
        stage: String,
        /// The types on disk, as "key type `K`, value type `V`".
        on_disk: String,
        /// The types of the pipeline now, in the same form.
        now: String,
    },
    /// The state directory's path exists and is not a directory.
    #[error(
        "state directory {path} exists and is not a directory; give `state_dir` a directory \
         (it is created if missing), or move what is there"
    )]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// The state directory cannot be created or written.
    #[error(
        "state directory {path} is not writable: {source}; give `state_dir` a directory \
         this process can write to"
    )]
    NotWritable {
        /// The directory, or the file in it that could not be written.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Another live runtime holds the state directory.
    #[error(
        "state directory {path} is locked by another running Laminar runtime{}; \
         finish or drop that runtime before building one on the same directory, or give \
         this one its own `state_dir`",
        match pid {
            Some(p) if *p == std::process::id() => format!(" (pid {p}, this process)"),
            Some(p) => format!(" (pid {p})"),
            None => String::new(),
        }
    )]
    Locked {
        /// The directory.
        path: PathBuf,
        /// The process that holds it, if it could be read.
        pid: Option<u32>,
    },
    /// The state directory was written by a runtime with another number of
    /// cores. State is partitioned by core, so another core count would
    /// route keys to cores that do not hold their state.
    #[error(
        "state directory {path} was written by a runtime with {on_disk} cores, and this runtime \
         has {now}; keys are kept on the core that owns them, and moving state between core \
         counts (rescaling) is not supported yet. Build with `.cores({on_disk})`, or use an \
         empty directory"
    )]
    CoresChanged {
        /// The directory.
        path: PathBuf,
        /// The core count on disk.
        on_disk: usize,
        /// This runtime's core count.
        now: usize,
    },
    /// The state directory's manifest does not parse.
    #[error(
        "state directory manifest {path} is not valid ({reason}); it records the core count \
         the directory was written with: fix it, or use an empty directory"
    )]
    BadManifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A snapshot that does not parse.
    #[error("corrupt snapshot at byte {at}")]
    BadSnapshot {
        /// Where it stopped making sense.
        at: usize,
    },
    /// The cores' chains do not agree on an exchange: the `n`-th exchange
    /// opened on one core carries another type than on another. Chains
    /// from one pipeline always agree; a hand-written pipeline whose
    /// `instantiate` builds different chains per core does not.
    #[error(
        "exchange {index} carries `{now}` on this core and `{other}` on another; every core's \
         chain must have the same exchanges in the same order"
    )]
    ExchangeMismatch {
        /// Which exchange, in the order the chain opens them.
        index: usize,
        /// The type on this core.
        now: &'static str,
        /// The type the first core opened it with.
        other: &'static str,
    },
}
