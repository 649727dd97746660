//! How far a running pipeline has come, readable from any thread while it
//! runs: each core publishes its counts and watermark every few dozen
//! passes of its loop, and [`Runtime::progress`](crate::Runtime::progress)
//! sums them.

use core::fmt;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::Timestamp;
use std::sync::atomic::{AtomicU64, Ordering};

/// Passes of a core's loop between two publications: often enough for a
/// progress line, rare enough to cost nothing per event.
pub(crate) const EVERY: u32 = 64;

/// One core's published figures. Written by its worker alone.
#[derive(Debug, Default)]
pub(crate) struct Live {
    figures: CachePadded<[AtomicU64; 4]>,
}

const EVENTS_IN: usize = 0;
const EVENTS_OUT: usize = 1;
const READ: usize = 2;
const WATERMARK: usize = 3;

impl Live {
    /// The worker's side: its figures now.
    pub(crate) fn publish(&self, events_in: u64, events_out: u64, read: u64, watermark: Timestamp) {
        let f = &self.figures;
        f[EVENTS_IN].store(events_in, Ordering::Relaxed);
        f[EVENTS_OUT].store(events_out, Ordering::Relaxed);
        f[READ].store(read, Ordering::Relaxed);
        f[WATERMARK].store(watermark, Ordering::Relaxed);
    }

    fn get(&self, i: usize) -> u64 {
        self.figures[i].load(Ordering::Relaxed)
    }
}

/// A running pipeline's progress, from
/// [`Runtime::progress`](crate::Runtime::progress): the sum over cores of
/// what each last published (at most a few dozen passes of its loop old),
/// and the lowest core's watermark.
///
/// ```
/// # use laminar_runtime::{operator::{Emit, Operator}, pipeline::Pipeline, routing::RoundRobin, Runtime};
/// # struct Id; impl Operator for Id { type In = u64; type Out = u64;
/// #   fn on_event<E: Emit<u64>>(&mut self, e: u64, o: &mut E) { o.emit(e) } }
/// # struct P; impl Pipeline for P { type In = u64; type Out = u64; type Op = Id; type Route = RoundRobin;
/// #   fn route(&self) -> RoundRobin { RoundRobin::default() } fn instantiate(&self, _: usize) -> Id { Id } }
/// use laminar_runtime::source;
/// let rt = Runtime::builder().cores(2).build(P)?;
/// rt.attach(source::from_fn(|core, cores| (core as u64..1_000_000).step_by(cores)));
/// while !rt.sources_done() {
///     let p = rt.progress();
///     assert!(p.events_in <= 1_000_000);
///     println!("{p}"); // "0.4 M events in (12.3 M/s), 0.4 M out, watermark -"
///     std::thread::sleep(std::time::Duration::from_millis(1));
/// }
/// let mut out = Vec::new();
/// rt.finish_into(&mut out)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Events the cores' operators consumed.
    pub events_in: u64,
    /// Results they emitted.
    pub events_out: u64,
    /// Events the cores' sources read.
    pub read: u64,
    /// The lowest core's event-time watermark; `None` while some core has
    /// none yet.
    pub watermark: Option<Timestamp>,
    /// Since `build`.
    pub elapsed: Duration,
}

impl Progress {
    pub(crate) fn sum<'a>(cores: impl Iterator<Item = &'a Live>, elapsed: Duration) -> Self {
        let mut p = Progress {
            events_in: 0,
            events_out: 0,
            read: 0,
            watermark: Some(Timestamp::MAX),
            elapsed,
        };
        for c in cores {
            p.events_in += c.get(EVENTS_IN);
            p.events_out += c.get(EVENTS_OUT);
            p.read += c.get(READ);
            let w = c.get(WATERMARK);
            p.watermark = p.watermark.map(|low| low.min(w)).filter(|&w| w > 0);
        }
        p
    }

    /// Events in per second since `build`.
    pub fn rate(&self) -> f64 {
        self.events_in as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.1} M events in ({:.1} M/s), {:.1} M out, watermark ",
            self.events_in as f64 / 1e6,
            self.rate() / 1e6,
            self.events_out as f64 / 1e6,
        )?;
        match self.watermark {
            Some(w) => write!(f, "{w}"),
            None => write!(f, "-"),
        }
    }
}
