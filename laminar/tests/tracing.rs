//! With the `tracing` feature (`cargo test -p laminar --features tracing`):
//! a run logs its build, start and finish in a `laminar_run` span, each
//! core its start and finish in a `laminar_core` span inside it, a core's
//! failure with its cause, and nothing per event. A small layer over
//! `tracing-subscriber`'s registry collects what was logged.

#![cfg(feature = "tracing")]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use laminar::prelude::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// One event as logged: its level, message and fields, and the spans it
/// was in, outermost first, each as `name{field=value,...}`.
#[derive(Debug, Clone)]
struct Seen {
    level: Level,
    message: String,
    fields: BTreeMap<String, String>,
    spans: Vec<String>,
}

impl Seen {
    fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn core::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

/// A span's name and fields, kept in its extensions.
struct SpanText(String);

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Seen>>>);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let inner: Vec<_> = fields.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let text = format!("{}{{{}}}", attrs.metadata().name(), inner.join(","));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanText(text));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let message = fields.0.remove("message").unwrap_or_default();
        let spans = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .from_root()
                    .map(|s| {
                        s.extensions()
                            .get::<SpanText>()
                            .map_or_else(|| s.name().to_owned(), |t| t.0.clone())
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.0.lock().unwrap().push(Seen {
            level: *event.metadata().level(),
            message,
            fields: fields.0,
            spans,
        });
    }
}

/// Runs `f` with the capturing subscriber as this thread's default (the
/// runtime's workers take it from the thread that builds), and returns what
/// Laminar logged.
fn capture(f: impl FnOnce()) -> Vec<Seen> {
    let seen = Capture::default();
    let subscriber = tracing_subscriber::registry().with(seen.clone());
    tracing::subscriber::with_default(subscriber, f);
    seen.0.lock().unwrap().clone()
}

fn find<'a>(seen: &'a [Seen], message: &str) -> Vec<&'a Seen> {
    seen.iter().filter(|s| s.message == message).collect()
}

#[test]
fn a_run_logs_build_start_and_finish_in_its_spans() {
    let seen = capture(|| {
        let p = stream! { u64 -> key_by(|x| *x) -> map(|x| x * 2) };
        let rt = Runtime::builder().cores(2).build(p).expect("runtime");
        rt.input().submit_iter(0..10_000).expect("submit");
        let mut out = Vec::new();
        rt.finish_into(&mut out).expect("finish");
    });
    let built = find(&seen, "built");
    assert_eq!(built.len(), 1, "{seen:#?}");
    assert_eq!(built[0].spans, ["laminar_run{cores=2}"]);
    assert_eq!(built[0].field("cores"), "2");
    assert!(built[0].field("pipeline").contains("map(|x| x * 2)"));
    assert_eq!(find(&seen, "started").len(), 1);

    let started = find(&seen, "core started");
    let finished = find(&seen, "core finished");
    for (core, events) in [(0, &started), (1, &started), (0, &finished), (1, &finished)] {
        let span = format!("laminar_core{{core={core}}}");
        assert_eq!(
            events
                .iter()
                .filter(|e| e.spans == ["laminar_run{cores=2}", span.as_str()])
                .count(),
            1,
            "{span}: {events:#?}"
        );
    }
    let consumed: u64 = finished
        .iter()
        .map(|e| e.field("events_in").parse::<u64>().unwrap())
        .sum();
    assert_eq!(consumed, 10_000);

    let done = find(&seen, "finished");
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].level, Level::INFO);
    assert_eq!(done[0].field("events_in"), "10000");
    assert_eq!(done[0].field("events_out"), "10000");
    assert_eq!(done[0].spans, ["laminar_run{cores=2}"]);

    // Nothing per event: 10 000 events, a handful of lines.
    assert!(seen.len() <= 8, "{} events logged: {seen:#?}", seen.len());
}

#[test]
fn a_core_failure_is_logged_with_its_cause_in_the_cores_span() {
    let seen = capture(|| {
        let p = stream! {
            u64
            -> key_by(|x| *x)
            -> map(|x| if x == 7 { panic!("bad event {x}") } else { x })
        };
        let rt = Runtime::builder().cores(2).build(p).expect("runtime");
        let _ = rt.input().submit_iter(0..100);
        let err = rt.finish().expect_err("core failed");
        assert!(matches!(err, laminar::RuntimeError::CorePanicked { .. }));
    });
    let failed = find(&seen, "core failed");
    assert_eq!(failed.len(), 1, "{seen:#?}");
    let failed = failed[0];
    assert_eq!(failed.level, Level::ERROR);
    assert!(
        failed.field("cause").contains("bad event 7"),
        "{:?}",
        failed.fields
    );
    let core = failed.field("core");
    assert_eq!(
        failed.spans,
        [
            "laminar_run{cores=2}".to_owned(),
            format!("laminar_core{{core={core}}}")
        ]
    );
    let done = find(&seen, "finished with a failure");
    assert_eq!(done.len(), 1, "{seen:#?}");
    assert_eq!(done[0].level, Level::ERROR);
    assert!(done[0].field("error").contains("bad event 7"));
    assert!(find(&seen, "finished").is_empty());
}

#[test]
fn a_build_error_is_logged() {
    let seen = capture(|| {
        let p = stream! { u64 -> map(|x| x + 1) };
        assert!(Runtime::builder().cores(0).build(p).is_err());
    });
    let failed = find(&seen, "build failed");
    assert_eq!(failed.len(), 1, "{seen:#?}");
    assert_eq!(failed[0].level, Level::WARN);
    assert!(failed[0].field("error").contains("at least one core"));
    assert!(find(&seen, "built").is_empty());
}
