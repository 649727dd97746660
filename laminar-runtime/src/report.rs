//! What a run did, per core.

use core::fmt;
use std::time::Duration;

/// Whether a worker ran pinned to a CPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pinning {
    /// Pinning was not asked for.
    NotRequested,
    /// Pinned to this CPU id.
    Pinned(usize),
    /// Asked for, but the OS refused or has no CPU list; ran unpinned.
    Failed(&'static str),
}

impl fmt::Display for Pinning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pinning::NotRequested => f.write_str("unpinned"),
            Pinning::Pinned(cpu) => write!(f, "cpu {cpu}"),
            Pinning::Failed(why) => write!(f, "unpinned ({why})"),
        }
    }
}

/// Something about the settings a runtime runs with that the user should
/// know: not an error, but a likely cause of a slow run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// More worker threads than the machine has CPUs: they take turns.
    MoreCoresThanCpus {
        /// Worker threads.
        cores: usize,
        /// CPUs the OS offers this process.
        cpus: usize,
    },
    /// `pin_cores(true)` with more workers than CPUs to pin to: some CPUs
    /// run two or more workers.
    CpusShared {
        /// Worker threads.
        cores: usize,
        /// CPUs to pin to.
        cpus: usize,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::MoreCoresThanCpus { cores, cpus } => write!(
                f,
                "{cores} worker threads on {cpus} CPUs: they take turns; use `.cores({cpus})` or fewer"
            ),
            Warning::CpusShared { cores, cpus } => write!(
                f,
                "{cores} workers pinned to {cpus} CPUs: some CPUs run more than one worker"
            ),
        }
    }
}

/// One core's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CoreReport {
    /// Core index.
    pub core: usize,
    /// Pinned or not, and why not.
    pub pinning: Pinning,
    /// Events input handles routed to this core and enqueued (control
    /// messages such as watermarks not counted).
    pub submitted: u64,
    /// Events this core's sources read (see [`source`](crate::source)).
    pub read: u64,
    /// Of those, events passed to other cores through exchanges, because
    /// their key belongs there.
    pub sent: u64,
    /// Events other cores' sources passed to this core.
    pub received: u64,
    /// Events that came to this core (submitted, read and kept, or
    /// received) that it never consumed, because the run stopped after a
    /// failure. Always `submitted + read - sent + received == events_in +
    /// abandoned`.
    pub abandoned: u64,
    /// Events the operator consumed.
    pub events_in: u64,
    /// Results written to the outbox.
    pub events_out: u64,
    /// Events too late for their window, written to the late outbox.
    pub late: u64,
    /// Events that reached some of their windows but missed others that had
    /// already closed; each also went to the late outbox.
    pub partly_late: u64,
    /// Late events nobody read: discarded after the late output handle was
    /// dropped, or left unread when the run ended without collecting them.
    pub late_unread: u64,
    /// Of the late events, those not of the pipeline's input type, so not
    /// in the late output (which carries the input type): the records of a
    /// window after a stage that changed them, such as a `map` before a
    /// `key_by` in mid-pipeline. Counted here and in `late`.
    pub late_not_kept: u64,
    /// Events discarded at ingress under the `Drop` policy.
    pub dropped: u64,
    /// Events handed back under the `Error` policy.
    pub rejected: u64,
    /// Events a `submit_iter` had taken into a batch for this core when the
    /// runtime closed or failed while it waited for credit: the first came
    /// back in the error, these did not and were not queued.
    pub refused: u64,
    /// Results (and late events) discarded because a core failed while an
    /// outbox was full.
    pub outputs_lost: u64,
    /// Results nobody read: discarded after the output handle was dropped,
    /// or left unread when `finish` (not `finish_into`) ended the run.
    pub outputs_unread: u64,
    /// Watermark messages received.
    pub watermarks: u64,
    /// Checkpoint barriers that entered this core's chain.
    pub barriers: u64,
    /// Times a sender waited for credit.
    pub blocked: u64,
    /// Total time senders waited for credit.
    pub blocked_time: Duration,
    /// Credits senders took.
    pub credits_acquired: u64,
    /// Credits this core gave back.
    pub credits_released: u64,
    /// Batches popped from ingress rings.
    pub batches: u64,
    /// Messages taken from ingress rings: single events, batches of events
    /// (one message each), watermarks and other control messages.
    pub messages: u64,
    /// Times the worker parked for lack of work.
    pub parks: u64,
    /// Turns a source of this core was not read because it was more than
    /// `max_source_skew` ahead of the slowest source reaching the core.
    pub skew_waits: u64,
    /// Turns a source of this core was not read because another core's
    /// exchange ring had no room for what it had read before.
    pub exchange_stalls: u64,
    /// Events the core took from input handles' lanes, where single
    /// submits wait (see [`Input::submit`](crate::Input::submit)), rather
    /// than from their rings; they hold no credit.
    pub from_lanes: u64,
    /// Events the chain's mid-pipeline exchanges (a `key_by` after other
    /// stages, a `window_all`) sent from this core to others. Over all
    /// cores, `shuffled_out` and `shuffled_in` add up to the same.
    pub shuffled_out: u64,
    /// Events the chain's mid-pipeline exchanges received from other cores.
    pub shuffled_in: u64,
    /// Passes in which a mid-pipeline exchange held a full batch for a
    /// core whose ring was full, so this core fed its chain no input.
    pub exchange_holds: u64,
}

impl CoreReport {
    pub(crate) fn new(core: usize) -> Self {
        CoreReport {
            core,
            pinning: Pinning::NotRequested,
            submitted: 0,
            read: 0,
            sent: 0,
            received: 0,
            abandoned: 0,
            events_in: 0,
            events_out: 0,
            late: 0,
            partly_late: 0,
            late_unread: 0,
            late_not_kept: 0,
            dropped: 0,
            rejected: 0,
            refused: 0,
            outputs_lost: 0,
            outputs_unread: 0,
            watermarks: 0,
            barriers: 0,
            blocked: 0,
            blocked_time: Duration::ZERO,
            credits_acquired: 0,
            credits_released: 0,
            batches: 0,
            messages: 0,
            parks: 0,
            skew_waits: 0,
            exchange_stalls: 0,
            from_lanes: 0,
            shuffled_out: 0,
            shuffled_in: 0,
            exchange_holds: 0,
        }
    }
}

/// The figures of a whole run, returned by `finish`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// One entry per core, in core order.
    pub cores: Vec<CoreReport>,
    /// What the settings may have cost (see [`Warning`]).
    pub warnings: Vec<Warning>,
    /// Wall time from `build` to the end of `finish`.
    pub elapsed: Duration,
    /// Checkpoints completed: every core's chain went through their
    /// barrier (see [`Runtime::checkpoint`](crate::Runtime::checkpoint)).
    pub checkpoints: u64,
    /// The time the checkpoints took, summed: from the request to the
    /// checkpoint complete (durable, sinks committed).
    pub checkpoint_time: Duration,
}

impl Report {
    /// Events consumed over all cores.
    pub fn events_in(&self) -> u64 {
        self.cores.iter().map(|c| c.events_in).sum()
    }

    /// Results emitted over all cores.
    pub fn events_out(&self) -> u64 {
        self.cores.iter().map(|c| c.events_out).sum()
    }

    /// Late events over all cores.
    pub fn late(&self) -> u64 {
        self.cores.iter().map(|c| c.late).sum()
    }

    /// Partly late events over all cores.
    pub fn partly_late(&self) -> u64 {
        self.cores.iter().map(|c| c.partly_late).sum()
    }

    /// Events dropped at ingress over all cores.
    pub fn dropped(&self) -> u64 {
        self.cores.iter().map(|c| c.dropped).sum()
    }

    /// Events enqueued and never consumed because a core failed, over all
    /// cores.
    pub fn abandoned(&self) -> u64 {
        self.cores.iter().map(|c| c.abandoned).sum()
    }

    /// Results nobody read, over all cores.
    pub fn outputs_unread(&self) -> u64 {
        self.cores.iter().map(|c| c.outputs_unread).sum()
    }

    /// Events enqueued over all cores.
    pub fn submitted(&self) -> u64 {
        self.cores.iter().map(|c| c.submitted).sum()
    }

    /// Events the chains' mid-pipeline exchanges sent between cores, over
    /// all cores.
    pub fn shuffled(&self) -> u64 {
        self.cores.iter().map(|c| c.shuffled_out).sum()
    }

    /// Events the cores' sources read, over all cores.
    pub fn read(&self) -> u64 {
        self.cores.iter().map(|c| c.read).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>4}  {:>12}  {:>12}  {:>12}  {:>12}  {:>9}  {:>9}  {:>8}  {:>11}  {:>7}  pinning",
            "core",
            "submitted",
            "read",
            "events in",
            "events out",
            "late",
            "dropped",
            "blocked",
            "blocked ms",
            "parks"
        )?;
        for c in &self.cores {
            writeln!(
                f,
                "{:>4}  {:>12}  {:>12}  {:>12}  {:>12}  {:>9}  {:>9}  {:>8}  {:>11.1}  {:>7}  {}",
                c.core,
                c.submitted,
                c.read,
                c.events_in,
                c.events_out,
                c.late,
                c.dropped,
                c.blocked,
                c.blocked_time.as_secs_f64() * 1e3,
                c.parks,
                c.pinning
            )?;
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        write!(
            f,
            "total: {} in, {} out, {} late, {} partly late, {} dropped, {} abandoned, {} unread, in {:.3} s",
            self.events_in(),
            self.events_out(),
            self.late(),
            self.partly_late(),
            self.dropped(),
            self.abandoned(),
            self.outputs_unread(),
            self.elapsed.as_secs_f64()
        )
    }
}
