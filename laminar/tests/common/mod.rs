//! Helpers shared by the integration tests. Each test binary uses its own
//! part of them, so what one binary leaves unused is not dead code.

#![allow(dead_code)]

pub mod nexmark;

/// `events` with each moved up to `spread` places later, deterministically
/// from `seed`: at one event per millisecond, none arrives more than
/// `spread` ms behind a later one.
pub fn jitter<T: Copy>(events: &[T], spread: u64, seed: u64) -> Vec<T> {
    let mut rng = nexmark::Rng::new(seed);
    let mut keyed: Vec<(u64, usize, T)> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (i as u64 + rng.below(spread), i, *e))
        .collect();
    keyed.sort_by_key(|&(k, i, _)| (k, i));
    keyed.into_iter().map(|(_, _, e)| e).collect()
}

/// Runs `f` on its own thread and fails the test if it takes longer than
/// `secs`: a hang becomes a failure with a message, not a stuck CI.
pub fn within<T: Send + 'static>(
    secs: u64,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .unwrap_or_else(|_| panic!("{what}: no result within {secs} s (hung)"))
}
pub mod recovery;
