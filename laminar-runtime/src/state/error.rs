//! Errors of the state stores.

/// Why a state operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The file system said no.
    #[error("state file {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A key or value could not be encoded or decoded.
    #[error("state codec: {0}")]
    Codec(String),
    /// A file that is not a state file, or of another version.
    #[error("{path} is not a Laminar state file (bad header)")]
    BadHeader {
        /// The file.
        path: std::path::PathBuf,
    },
    /// A snapshot that does not parse.
    #[error("corrupt snapshot at byte {at}")]
    BadSnapshot {
        /// Where it stopped making sense.
        at: usize,
    },
}
