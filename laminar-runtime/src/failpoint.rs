//! Failpoints for crash tests: `failpoint(name)` aborts the process, as
//! `kill -9` would, when the environment variable `LAMINAR_FAILPOINT`
//! names that point (`name`, or `name@N` for its N-th hit). Unset, a
//! failpoint costs one relaxed load.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

static ARMED: OnceLock<Option<(String, u64)>> = OnceLock::new();
static HITS: AtomicU64 = AtomicU64::new(0);

fn armed() -> &'static Option<(String, u64)> {
    ARMED.get_or_init(|| {
        let spec = std::env::var("LAMINAR_FAILPOINT").ok()?;
        match spec.split_once('@') {
            Some((name, n)) => Some((name.to_owned(), n.parse().unwrap_or(1))),
            None => Some((spec, 1)),
        }
    })
}

/// Aborts the process here if `LAMINAR_FAILPOINT` names this point.
#[inline]
pub fn failpoint(name: &'static str) {
    if let Some((armed, nth)) = armed()
        && armed == name
        && HITS.fetch_add(1, Ordering::Relaxed) + 1 == *nth
    {
        std::process::abort();
    }
}
