//! Each core's figures through the [`metrics`](https://docs.rs/metrics)
//! facade (cargo feature `metrics`): whatever recorder the service
//! installed (`metrics-exporter-prometheus`, StatsD, ...) receives them;
//! without one they cost a few atomic loads per pass.
//!
//! Every series has the label `core` (`"0"`, `"1"`, ...). The counters
//! are the [`CoreReport`] columns of the same name,
//! kept current while the run goes (set when the core publishes its
//! progress, every 64 passes of its loop, and when it ends, so a scrape
//! lags the core by at most that much):
//!
//! | series | kind | what |
//! | --- | --- | --- |
//! | `laminar_events_in_total` | counter | events the core's operator consumed |
//! | `laminar_events_out_total` | counter | results it emitted |
//! | `laminar_late_total` | counter | late events sent to the late output |
//! | `laminar_read_total` | counter | events its sources read |
//! | `laminar_sent_total` | counter | of those, events passed to other cores |
//! | `laminar_shuffled_out_total` | counter | records its chain's exchanges sent to other cores |
//! | `laminar_shuffled_in_total` | counter | records its chain's exchanges received from other cores |
//! | `laminar_exchange_holds_total` | counter | passes in which an exchange held a full batch, so the core fed its chain no input |
//! | `laminar_submitted_total` | counter | events input handles queued for it |
//! | `laminar_dropped_total` | counter | events dropped for it under `Policy::Drop` |
//! | `laminar_blocked_seconds_total` | counter (as a gauge of seconds) | time its senders waited for credit |
//! | `laminar_parks_total` | counter | times the core parked for lack of work |
//! | `laminar_queue_depth` | gauge | messages waiting in its input rings |
//! | `laminar_watermark_ms` | gauge | its event-time watermark |
//! | `laminar_watermark_lag_ms` | gauge | wall clock (ms since the Unix epoch) minus the watermark: meaningful when event time is epoch milliseconds |
//!
//! Per stage figures are not kept: a core's stages are one fused
//! function, and counting inside it would cost every event.

use metrics::{Counter, Gauge};

use crate::Timestamp;
use crate::channel::IngressTotals;
use crate::report::CoreReport;

/// One core's series, registered once when the core starts.
pub(crate) struct CoreMetrics {
    events_in: Counter,
    events_out: Counter,
    late: Counter,
    read: Counter,
    sent: Counter,
    shuffled_out: Counter,
    shuffled_in: Counter,
    exchange_holds: Counter,
    submitted: Counter,
    dropped: Counter,
    blocked: Gauge,
    parks: Counter,
    depth: Gauge,
    watermark: Gauge,
    lag: Gauge,
}

impl CoreMetrics {
    pub(crate) fn new(core: usize) -> Self {
        let core = core.to_string();
        let c = |name: &'static str| metrics::counter!(name, "core" => core.clone());
        let g = |name: &'static str| metrics::gauge!(name, "core" => core.clone());
        CoreMetrics {
            events_in: c("laminar_events_in_total"),
            events_out: c("laminar_events_out_total"),
            late: c("laminar_late_total"),
            read: c("laminar_read_total"),
            sent: c("laminar_sent_total"),
            shuffled_out: c("laminar_shuffled_out_total"),
            shuffled_in: c("laminar_shuffled_in_total"),
            exchange_holds: c("laminar_exchange_holds_total"),
            submitted: c("laminar_submitted_total"),
            dropped: c("laminar_dropped_total"),
            blocked: g("laminar_blocked_seconds_total"),
            parks: c("laminar_parks_total"),
            depth: g("laminar_queue_depth"),
            watermark: g("laminar_watermark_ms"),
            lag: g("laminar_watermark_lag_ms"),
        }
    }

    /// Sets every series from the core's running figures.
    pub(crate) fn record(
        &self,
        report: &CoreReport,
        emitted: u64,
        late: u64,
        ingress: &IngressTotals,
        depth: usize,
        watermark: Timestamp,
    ) {
        self.events_in.absolute(report.events_in);
        self.events_out.absolute(emitted);
        self.late.absolute(late);
        self.read.absolute(report.read);
        self.sent.absolute(report.sent);
        self.shuffled_out.absolute(report.shuffled_out);
        self.shuffled_in.absolute(report.shuffled_in);
        self.exchange_holds.absolute(report.exchange_holds);
        self.submitted.absolute(ingress.submitted);
        self.dropped.absolute(ingress.dropped);
        self.blocked.set(ingress.blocked_ns as f64 / 1e9);
        self.parks.absolute(report.parks);
        self.depth.set(depth as f64);
        self.watermark.set(watermark as f64);
        let now = crate::time::now_ms();
        self.lag.set(now.saturating_sub(watermark) as f64);
    }
}
