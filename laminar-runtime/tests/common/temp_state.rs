//! A state file under the system's temp dir with a unique name, removed
//! (with any compaction leftover) on drop. Shared by the state tests through
//! `#[path = "common/temp_state.rs"] mod temp_state;`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// A unique state file path, removed on drop.
pub struct TempState(pub PathBuf);

impl TempState {
    /// A fresh path whose name carries `tag`.
    pub fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("laminar-{tag}-{}-{n}.state", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempState(path)
    }
}

impl Drop for TempState {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let mut c = self.0.clone().into_os_string();
        c.push(".compact");
        let _ = std::fs::remove_file(c);
    }
}
