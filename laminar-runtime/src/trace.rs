//! What the runtime tells the `tracing` crate, with the `tracing` feature:
//! a span per run (`laminar_run`) and one per core (`laminar_core`, a child
//! of the run's), and an event when a run is built (or fails to build),
//! starts and finishes, when each core starts and finishes, and when a core
//! fails, with the cause. Nothing per event: the hot path is untouched.
//!
//! Worker threads log to the subscriber that was the default where the
//! runtime was built, so a subscriber set with `tracing::subscriber::
//! with_default` around `build` sees the cores too, as one set globally
//! does.
//!
//! Without the feature every item here is an empty inline function or a
//! unit type, and the runtime's code calls them all the same.

use crate::config::Config;
use crate::error::{BuildError, RuntimeError};
#[cfg(feature = "tracing")]
use crate::report::CoreReport;
use crate::report::Report;
use crate::shared::Cause;

/// Target of every span and event, so a filter can name Laminar alone
/// (`laminar=info`).
#[cfg(feature = "tracing")]
const TARGET: &str = "laminar";

impl core::fmt::Display for Cause {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Cause::Panic(message) => write!(f, "user code panicked: {message}"),
            Cause::State(e) => write!(f, "state store failed: {e}"),
            Cause::Checkpoint(e) => write!(f, "checkpoint failed: {e}"),
        }
    }
}

/// A run's span and the subscriber its cores log to.
#[derive(Clone, Debug)]
pub(crate) struct RunTrace {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
    #[cfg(feature = "tracing")]
    dispatch: tracing::Dispatch,
}

impl RunTrace {
    /// Opens the run's span, before anything is checked: a build that
    /// fails is logged in it too.
    #[inline]
    pub(crate) fn new(config: &Config) -> Self {
        let _ = config;
        RunTrace {
            #[cfg(feature = "tracing")]
            span: tracing::info_span!(target: TARGET, "laminar_run", cores = config.cores),
            #[cfg(feature = "tracing")]
            dispatch: tracing::dispatcher::get_default(tracing::Dispatch::clone),
        }
    }

    /// Runs `f` inside the run's span.
    #[inline]
    pub(crate) fn in_run<R>(&self, f: impl FnOnce() -> R) -> R {
        #[cfg(feature = "tracing")]
        return self.span.in_scope(f);
        #[cfg(not(feature = "tracing"))]
        f()
    }

    /// The build succeeded.
    #[inline]
    pub(crate) fn built(&self, config: &Config, describe: &str) {
        let _ = (config, describe);
        #[cfg(feature = "tracing")]
        tracing::info!(
            target: TARGET,
            parent: &self.span,
            cores = config.cores,
            queue_capacity = config.queue_capacity,
            outbox_capacity = config.outbox_capacity,
            batch_size = config.batch_size,
            policy = ?config.policy,
            store = ?config.store,
            pin_cores = config.pin_cores,
            pipeline = describe,
            "built"
        );
    }

    /// The build failed; nothing was started, or what was is stopped.
    #[inline]
    pub(crate) fn build_failed(&self, error: &BuildError) {
        let _ = error;
        #[cfg(feature = "tracing")]
        tracing::warn!(target: TARGET, parent: &self.span, error = %error, "build failed");
    }

    /// Every worker is running.
    #[inline]
    pub(crate) fn started(&self, cores: usize) {
        let _ = cores;
        #[cfg(feature = "tracing")]
        tracing::info!(target: TARGET, parent: &self.span, cores, "started");
    }

    /// Runs a worker's body on its thread: in the run's subscriber, in a
    /// span of its own, between a "core started" and a "core finished".
    #[inline]
    pub(crate) fn core<O, I>(
        &self,
        core: usize,
        run: impl FnOnce() -> crate::worker::WorkerExit<O, I>,
    ) -> crate::worker::WorkerExit<O, I> {
        let _ = core;
        #[cfg(feature = "tracing")]
        return tracing::dispatcher::with_default(&self.dispatch, || {
            let span =
                tracing::info_span!(target: TARGET, parent: &self.span, "laminar_core", core);
            let _entered = span.enter();
            tracing::info!(target: TARGET, "core started");
            let exit = run();
            core_finished(&exit.report);
            exit
        });
        #[cfg(not(feature = "tracing"))]
        run()
    }

    /// The run ended: its totals, or its failure.
    #[inline]
    pub(crate) fn finished(&self, result: &Result<Report, RuntimeError>) {
        let _ = result;
        #[cfg(feature = "tracing")]
        match result {
            Ok(report) => tracing::info!(
                target: TARGET,
                parent: &self.span,
                events_in = report.events_in(),
                events_out = report.events_out(),
                late = report.late(),
                partly_late = report.partly_late(),
                dropped = report.dropped(),
                outputs_unread = report.outputs_unread(),
                elapsed_ms = report.elapsed.as_millis() as u64,
                "finished"
            ),
            Err(error) => tracing::error!(
                target: TARGET,
                parent: &self.span,
                error = %error,
                "finished with a failure"
            ),
        }
    }
}

#[cfg(feature = "tracing")]
fn core_finished(report: &CoreReport) {
    tracing::info!(
        target: TARGET,
        events_in = report.events_in,
        events_out = report.events_out,
        late = report.late,
        partly_late = report.partly_late,
        watermarks = report.watermarks,
        parks = report.parks,
        pinning = %report.pinning,
        "core finished"
    );
}

/// A core failed: logged where the failure is recorded, on the failing
/// core's thread (in its span), once per core that fails.
#[inline]
pub(crate) fn core_failed(core: usize, cause: &Cause) {
    let _ = (core, cause);
    #[cfg(feature = "tracing")]
    tracing::error!(target: TARGET, core, cause = %cause, "core failed");
}
