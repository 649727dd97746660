//! Failpoints: named spots where a crash test can kill the process, to
//! check that what was made durable before that spot is enough to recover.
//!
//! [`failpoint`] is always compiled in. It does nothing unless the
//! environment variable [`ENV_VAR`] (`LAMINAR_FAILPOINT`) names it:
//!
//! - `LAMINAR_FAILPOINT=name` aborts at the first hit of `name`;
//! - `LAMINAR_FAILPOINT=name@N` aborts at the `N`-th hit (1-based), counted
//!   over all threads of the process.
//!
//! It aborts with [`std::process::abort`]: no destructor, no buffered write,
//! no unwinding, as a `kill -9` at that spot would (the process dies of
//! `SIGABRT` on Unix). Data the program had handed to the kernel survives,
//! as it does under `kill -9`; a power loss is not simulated.
//!
//! The variable is read once, at the first call; after that, a process
//! without it pays one relaxed atomic load per failpoint.
//!
//! # Names
//!
//! The file sink (`sink::file`, feature `json`):
//!
//! | name | where |
//! |---|---|
//! | `sink.pre_commit.before_fsync` | staged results flushed to the file, not yet `fsync`ed |
//! | `sink.pre_commit.after_fsync` | staging file and staging directory `fsync`ed, [`Prepared`](crate::sink::Prepared) not yet returned |
//! | `sink.commit.before_rename` | about to rename the staging file to its visible name |
//! | `sink.commit.after_rename` | renamed, the directory not yet `fsync`ed |
//!
//! The write-ahead log (`wal`):
//!
//! | name | where |
//! |---|---|
//! | `wal.append.before_write` | a submit, before its record is framed into the writer's buffer (earlier records are in the file) |
//! | `wal.append.after_write` | the buffered records handed to the OS (`write`), not yet `fsync`ed; also reached by `sync` and `close` |
//!
//! Other parts of the runtime (the checkpoint coordinator) add their own
//! names with the same function; list them here.
//!
//! ```
//! use laminar_runtime::failpoint::failpoint;
//!
//! // Does nothing unless LAMINAR_FAILPOINT=example.spot (or example.spot@N).
//! failpoint("example.spot");
//! ```

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// The environment variable that arms a failpoint: `name` or `name@N`.
pub const ENV_VAR: &str = "LAMINAR_FAILPOINT";

/// Not read yet / read and unset / read and set.
const UNREAD: u8 = 0;
const OFF: u8 = 1;
const ARMED: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(UNREAD);
static TARGET: OnceLock<Option<Target>> = OnceLock::new();
static HITS: AtomicU64 = AtomicU64::new(0);

/// The armed failpoint: its name, and at which hit it fires.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    name: String,
    nth: u64,
}

/// Kills the process here with [`std::process::abort`] if
/// `LAMINAR_FAILPOINT` is `name` (first hit) or `name@N` (`N`-th hit);
/// does nothing otherwise. See the [module docs](self).
///
/// # Panics
///
/// At the first call, if `LAMINAR_FAILPOINT` is set but not of the form
/// `name` or `name@N` with `N >= 1`: a crash test with a misspelled
/// count would otherwise pass without ever crashing.
///
/// ```
/// // A spot in a two-phase commit where a crash test may kill the process.
/// laminar_runtime::failpoint::failpoint("my_sink.commit.before_publish");
/// ```
#[inline]
pub fn failpoint(name: &'static str) {
    if STATE.load(Ordering::Relaxed) == OFF {
        return;
    }
    slow(name);
}

#[cold]
#[inline(never)]
fn slow(name: &'static str) {
    let target = TARGET.get_or_init(|| {
        let target = std::env::var(ENV_VAR).ok().map(|v| {
            parse(&v).unwrap_or_else(|| {
                panic!("{ENV_VAR}={v:?}: expected `name` or `name@N` with N >= 1")
            })
        });
        STATE.store(
            if target.is_some() { ARMED } else { OFF },
            Ordering::Relaxed,
        );
        target
    });
    let Some(target) = target else { return };
    if target.name != name {
        return;
    }
    let hit = HITS.fetch_add(1, Ordering::Relaxed) + 1;
    if hit == target.nth {
        eprintln!("laminar: failpoint {name} (hit {hit}): aborting the process");
        std::process::abort();
    }
}

/// `name` or `name@N` (N >= 1); `None` if malformed.
fn parse(v: &str) -> Option<Target> {
    let (name, nth) = match v.rsplit_once('@') {
        Some((name, n)) => (name, n.parse::<u64>().ok().filter(|&n| n >= 1)?),
        None => (v, 1),
    };
    if name.is_empty() {
        return None;
    }
    Some(Target {
        name: name.to_owned(),
        nth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_and_count() {
        let t = |name: &str, nth| {
            Some(Target {
                name: name.into(),
                nth,
            })
        };
        assert_eq!(
            parse("sink.commit.before_rename"),
            t("sink.commit.before_rename", 1)
        );
        assert_eq!(parse("a.b@3"), t("a.b", 3));
        assert_eq!(parse("a.b@1"), t("a.b", 1));
        assert_eq!(parse("a.b@0"), None);
        assert_eq!(parse("a.b@x"), None);
        assert_eq!(parse("a.b@"), None);
        assert_eq!(parse("@2"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn unarmed_failpoint_returns() {
        // The unit tests never set LAMINAR_FAILPOINT to this name.
        failpoint("failpoint.tests.never_armed");
        failpoint("failpoint.tests.never_armed");
    }
}
