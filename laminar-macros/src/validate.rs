//! The checks that span several stages, as serde's `check.rs`: order,
//! what must precede what, one of a kind. Each stage's own arguments were
//! read (and their errors reported) by `read`; this module looks only at
//! the operators, their order and which named arguments were given, and
//! reports every problem at the user's tokens, with a line saying what to
//! change.

use crate::ast::{PipelineAst, StageAst};
use crate::ctxt::Ctxt;
use crate::ops::{self, Needs, OpSpec, Placement, Role};
use crate::read::Stage;

/// What the stages so far have established.
#[derive(Default)]
struct Seen<'a> {
    /// A stage that transformed events: the head is over.
    transformed: Option<&'a StageAst>,
    /// A stage that changed the events (a window reads key and time from
    /// the source events, so none may come before it).
    changed: Option<&'a StageAst>,
    key: Option<&'a StageAst>,
    clock: Option<&'a StageAst>,
    window: Option<&'a StageAst>,
    /// A window not yet closed by `aggregate`.
    open_window: Option<&'a StageAst>,
    terminal: Option<&'a StageAst>,
    previous: Option<(&'a StageAst, &'static OpSpec)>,
}

/// Reports every problem of `ast`, whose known stages `read` made into
/// `stages`, into `cx`.
pub fn check(ast: &PipelineAst, stages: &[Stage], cx: &mut Ctxt) {
    if ast.source.is_none() {
        let message = "a pipeline starts with the type of its events";
        let help = "help: write the event type first: `stream! { MyEvent -> map(|e| ...) }`";
        match ast.stages.first() {
            Some(first) => match &first.arrow {
                Some(arrow) => cx.error_with(arrow, message, &[help.to_owned()]),
                None => cx.error_with(
                    &first.name,
                    &format!(
                        "{message}, but this one starts with the stage `{}`",
                        first.name
                    ),
                    &[help.to_owned()],
                ),
            },
            None => cx.push(syn::Error::new(
                ast.span,
                format!("empty pipeline: {message}\n{help}"),
            )),
        }
    }
    if let Some(source) = &ast.source {
        check_static(source, cx);
    }

    let mut seen = Seen::default();
    for read in stages {
        let (stage, op) = (read.ast, read.op);
        check_after_terminal(stage, op, &seen, cx);
        check_placement(stage, op, &seen, cx);
        check_needs(stage, op, &seen, cx);
        check_named_needs(read, &seen, cx);
        if let Some(window) = seen.open_window
            && op.role != Role::Aggregate
        {
            cx.error_with(
                window.tokens(),
                &format!("`{}` must be followed by `aggregate(...)`", window.name),
                &[format!(
                    "help: say what the window computes, such as `{}`",
                    ops::lookup("aggregate").map_or("", |a| a.usage)
                )],
            );
            seen.open_window = None;
        }
        if op.role == Role::Window {
            check_window(stage, &seen, cx);
        }
        record(&mut seen, stage, op);
    }
    if let Some(window) = seen.open_window {
        cx.error_with(
            window.tokens(),
            &format!("`{}` must be followed by `aggregate(...)`", window.name),
            &[format!(
                "help: add `-> {}` after it",
                ops::lookup("aggregate").map_or("", |a| a.usage)
            )],
        );
    }
}

fn record<'a>(seen: &mut Seen<'a>, stage: &'a StageAst, op: &'static OpSpec) {
    match op.role {
        Role::Key => seen.key = seen.key.or(Some(stage)),
        Role::Clock => seen.clock = seen.clock.or(Some(stage)),
        Role::Window => {
            seen.window = seen.window.or(Some(stage));
            seen.open_window = Some(stage);
        }
        Role::Aggregate => seen.open_window = None,
        Role::Terminal => seen.terminal = seen.terminal.or(Some(stage)),
        Role::Transform | Role::Stateful => {}
    }
    if op.placement != Placement::Head {
        seen.transformed = seen.transformed.or(Some(stage));
    }
    if !op.keeps_events {
        seen.changed = seen.changed.or(Some(stage));
    }
    seen.previous = Some((stage, op));
}

/// Events cross threads, so the source type must be `'static`. rustc's own
/// lifetime error says nothing of why; this one does.
fn check_static(source: &syn::Type, cx: &mut Ctxt) {
    struct Lifetimes<'a>(Vec<&'a syn::Lifetime>);
    impl<'a> syn::visit::Visit<'a> for Lifetimes<'a> {
        fn visit_lifetime(&mut self, lt: &'a syn::Lifetime) {
            if lt.ident != "static" {
                self.0.push(lt);
            }
        }
    }
    let mut found = Lifetimes(Vec::new());
    syn::visit::Visit::visit_type(&mut found, source);
    for lt in found.0 {
        cx.error_with(
            lt,
            &format!("events must be `'static`, but this source type borrows for `{lt}`"),
            &["help: use owned data in events, such as `String` or `Arc<str>`, or `&'static` references".to_owned()],
        );
    }
}

fn check_after_terminal(stage: &StageAst, op: &OpSpec, seen: &Seen, cx: &mut Ctxt) {
    let Some(term) = seen.terminal else { return };
    let name = op.name;
    if op.role == Role::Terminal {
        cx.error_with(
            stage.tokens(),
            &format!(
                "a pipeline has one terminal stage, and `{}` already ends this one",
                term.name
            ),
            &[format!(
                "help: remove one `{name}`, or merge both closures into one `{name}`"
            )],
        );
    } else {
        cx.error_with(
            stage.tokens(),
            &format!("`{name}` cannot follow `{}`, which ends the pipeline", term.name),
            &[format!(
                "help: move `{}` to the end, or remove it to send results to the runtime's outboxes",
                term.name
            )],
        );
    }
}

fn check_placement(stage: &StageAst, op: &OpSpec, seen: &Seen, cx: &mut Ctxt) {
    if op.placement != Placement::Head {
        return;
    }
    let name = op.name;
    if op.role == Role::Key {
        if let Some(first) = seen.key {
            cx.error_with(
                stage.tokens(),
                &format!("a second `{name}` would re-route events between cores (an exchange), which is not supported yet"),
                &[format!(
                    "note: the pipeline is already keyed by the `{}` at its head; key once, at the source",
                    first.name
                )],
            );
            return;
        }
    } else if let Some(first) = seen.clock {
        cx.error_with(
            stage.tokens(),
            &format!(
                "`{name}` would give the pipeline a second clock (it already has `{}`)",
                first.name
            ),
            &[format!(
                "help: keep one clock: remove this `{name}` or the `{}`",
                first.name
            )],
        );
        return;
    }
    if let Some(before) = seen.transformed {
        let (why, help) = if op.role == Role::Key {
            (
                "would re-route events between cores (an exchange), which is not supported yet",
                "so events are routed as they enter",
            )
        } else {
            (
                "must see events as they enter (watermarks are made at the inputs)",
                "so events are timed as they enter",
            )
        };
        cx.error_with(
            stage.tokens(),
            &format!("`{name}` {why}, but it comes after `{}`", before.name),
            &[format!(
                "help: move `{name}` directly after the source type, {help}"
            )],
        );
    }
}

fn check_needs(stage: &StageAst, op: &OpSpec, seen: &Seen, cx: &mut Ctxt) {
    let name = op.name;
    for need in op.needs {
        match need {
            Needs::Clock if seen.clock.is_none() => cx.error_with(
                stage.tokens(),
                &format!("`{name}` needs a clock, and this pipeline has none"),
                &["help: add `event_time(|event| event.timestamp_ms)` or `processing_time()` right after the source type".to_owned()],
            ),
            Needs::Key if seen.key.is_none() => {
                let (what, alt) = if op.role == Role::Window {
                    ("one window", ", or use `window_all(...)` for one window over all events (it runs on one core)")
                } else {
                    ("its state", "")
                };
                cx.error_with(
                    stage.tokens(),
                    &format!("`{name}` keeps {what} per key, and this pipeline has no `key_by`"),
                    &[format!("help: add `key_by(|event| event.key)` right after the source type{alt}")],
                );
            }
            Needs::NoKey => {
                if let Some(key) = seen.key {
                    cx.error_with(
                        stage.tokens(),
                        &format!("`{name}` is one window over all events, but this pipeline is keyed by `{}`", key.name),
                        &["help: use `window(...)` for one window per key, or remove `key_by`".to_owned()],
                    );
                }
            }
            Needs::Window if !matches!(seen.previous, Some((_, p)) if p.role == Role::Window) => {
                cx.error_with(
                    stage.tokens(),
                    &format!("`{name}` needs a window right before it"),
                    &["help: add `-> window(tumbling(10s))` (or `sliding`, `session`) before it".to_owned()],
                );
            }
            // A second window gets its own error (one window per pipeline).
            Needs::SourceEvents if seen.window.is_none() => {
                if let Some(changed) = seen.changed {
                    cx.error_with(
                        stage.tokens(),
                        &format!(
                            "`{name}` reads each event's key{}, but `{}` before it changed the events",
                            if op.role == Role::Window { " and time" } else { "" },
                            changed.name
                        ),
                        &[if op.role == Role::Window {
                            format!(
                                "help: move `{}` after `aggregate(...)`, or compute what it computes in the key and time closures",
                                changed.name
                            )
                        } else {
                            format!(
                                "help: move `{}` after `{name}`, or compute what it computes inside `{name}`",
                                changed.name
                            )
                        }],
                    );
                }
            }
            _ => {}
        }
    }
}

/// A named argument's own needs: `process(.., on_timer = ..)` needs a
/// clock, or its timers would fire only at the end of input.
fn check_named_needs(read: &Stage, seen: &Seen, cx: &mut Ctxt) {
    for attr in &read.named {
        let Some(tokens) = attr.tokens() else {
            continue;
        };
        for need in attr.spec.needs {
            if *need == Needs::Clock && seen.clock.is_none() {
                cx.error_with(
                    tokens,
                    &format!(
                        "`{}` needs a clock, and this pipeline has none: its timers would fire only at the end of input",
                        attr.spec.name
                    ),
                    &["help: add `event_time(|event| event.timestamp_ms)` or `processing_time()` right after the source type".to_owned()],
                );
            }
        }
    }
}

fn check_window(stage: &StageAst, seen: &Seen, cx: &mut Ctxt) {
    if let Some(first) = seen.window {
        cx.error_with(
            stage.tokens(),
            "one window per pipeline, for now: a second would need its results re-keyed between cores",
            &[format!("note: the first is `{}` earlier in this pipeline", first.name)],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(src: &str) -> Vec<String> {
        let ast: PipelineAst = syn::parse_str(src).unwrap_or_else(|e| panic!("{e}"));
        let mut cx = Ctxt::default();
        let stages = crate::read::stages(&ast, &mut cx);
        check(&ast, &stages, &mut cx);
        match cx.finish() {
            Ok(()) => Vec::new(),
            Err(es) => es.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_valid_pipeline_has_no_errors() {
        assert!(
            errors("u64 -> key_by(|x| *x) -> map(|x| x + 1) -> for_each(|x| drop(x))").is_empty()
        );
        assert!(
            errors(
                "Bid -> event_time(|b| b.t, lateness = 2s) -> key_by(|b| b.a) -> filter(|b| b.p > 0) \
                 -> window(sliding(10s, 2s), allowed_lateness = 1s, emit = on_update) \
                 -> aggregate(count(), max(|b| b.p)) -> map(|w| w.value)"
            )
            .is_empty()
        );
        assert!(
            errors("Bid -> processing_time() -> window_all(session(5s)) -> aggregate(count())")
                .is_empty()
        );
    }

    #[test]
    fn all_errors_are_reported_together() {
        let es = errors("u64 -> mapp(|x| x) -> filter() -> key_by(|x| *x)");
        assert_eq!(es.len(), 3, "{es:#?}");
        assert!(es[0].contains("did you mean `map`"));
        assert!(es[1].contains("takes 1 argument, but 0 were given"));
        assert!(es[2].contains("after `filter`"));
    }

    #[test]
    fn stage_after_terminal() {
        let es = errors("u64 -> for_each(|x| drop(x)) -> map(|x| x)");
        assert_eq!(es.len(), 1);
        assert!(es[0].contains("cannot follow `for_each`"));
    }

    #[test]
    fn two_terminals_and_borrowed_source() {
        let es = errors("&'a str -> for_each(|x| drop(x)) -> for_each(|x| drop(x))");
        assert_eq!(es.len(), 2, "{es:#?}");
        assert!(es[0].contains("must be `'static`"));
        assert!(es[1].contains("one terminal stage"));
    }

    #[test]
    fn missing_source() {
        let es = errors("-> map(|x| x)");
        assert!(es[0].contains("starts with the type of its events"));
    }

    #[test]
    fn window_needs_clock_key_and_aggregate() {
        let es = errors("u64 -> window(tumbling(10s))");
        assert_eq!(es.len(), 3, "{es:#?}");
        assert!(es[0].contains("needs a clock"));
        assert!(es[1].contains("no `key_by`") && es[1].contains("window_all"));
        assert!(es[2].contains("must be followed by `aggregate"));
    }

    #[test]
    fn aggregate_needs_window() {
        let es = errors("u64 -> key_by(|x| *x) -> aggregate(count())");
        assert_eq!(es.len(), 1);
        assert!(es[0].contains("needs a window right before it"));
    }

    #[test]
    fn window_after_map_and_bad_durations() {
        let es = errors(
            "u64 -> event_time(|x| *x, lateness = 2) -> key_by(|x| *x) -> map(|x| x) \
             -> window(sliding(1s, 5s)) -> aggregate(count())",
        );
        // Argument errors come from reading, before the order checks.
        assert_eq!(es.len(), 3, "{es:#?}");
        assert!(es[0].contains("needs a unit"));
        assert!(es[1].contains("must not exceed"));
        assert!(es[2].contains("`map` before it changed"));
    }

    #[test]
    fn window_all_on_keyed_pipeline() {
        let es = errors(
            "u64 -> processing_time() -> key_by(|x| *x) -> window_all(tumbling(1s)) -> aggregate(count())",
        );
        assert_eq!(es.len(), 1, "{es:#?}");
        assert!(es[0].contains("keyed by `key_by`"));
    }

    #[test]
    fn a_timer_needs_a_clock() {
        let es =
            errors("u64 -> key_by(|x| *x) -> process(|k, e, s, o| {}, on_timer = |k, t, s, o| {})");
        assert_eq!(es.len(), 1, "{es:#?}");
        assert!(es[0].contains("`on_timer` needs a clock"));
        assert!(
            errors(
                "u64 -> processing_time() -> key_by(|x| *x) \
                 -> process(|k, e, s, o| {}, on_timer = |k, t, s, o| {})"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_stage_where_the_source_type_goes() {
        let es = errors("map(|x: u64| x) -> filter(|x| *x > 1)");
        assert_eq!(es.len(), 1, "{es:#?}");
        assert!(es[0].contains("starts with the type of its events"));
        assert!(es[0].contains("starts with the stage `map`"));
    }
}
