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

/// What the stages so far have established: at the end of a flow, what a
/// flow reading it starts from.
#[derive(Default, Clone, Copy)]
pub struct Seen<'a> {
    /// A stage that transformed events: the head is over.
    transformed: Option<&'a StageAst>,
    /// The `key_by` whose key the next keyed stage (a window, keyed
    /// state) uses.
    key: Option<&'a StageAst>,
    /// The keyed stage that used the last key, once used.
    key_used: Option<(&'a StageAst, &'static OpSpec)>,
    /// A stage since the live `key_by` that changed the records (a keyed
    /// stage reads its key with the `key_by`'s closure, from records of
    /// the type that closure takes).
    changed: Option<&'a StageAst>,
    clock: Option<&'a StageAst>,
    /// A window not yet closed by `aggregate`.
    open_window: Option<&'a StageAst>,
    terminal: Option<&'a StageAst>,
    previous: Option<(&'a StageAst, &'static OpSpec)>,
    /// The `union` the records came through, until a `key_by` keys them.
    union: Option<&'a StageAst>,
}

/// Reports every problem of `ast`, whose known stages `read` made into
/// `stages`, into `cx`.
pub fn check(ast: &PipelineAst, stages: &[Stage], cx: &mut Ctxt) {
    check_flow(None, ast, stages, cx);
}

impl Seen<'_> {
    /// What a flow reading this stream starts from: all of it but its
    /// sink, which the graph reports at the reader.
    pub fn read(self) -> Self {
        Seen {
            terminal: None,
            ..self
        }
    }
}

/// What a `union` of streams that ended as `sides` starts from: their
/// clock, no key (each side's records are where its own key put them), and
/// the head over. `union` is the union as written.
pub fn after_union<'a>(sides: &[Seen<'a>], union: &'a StageAst, cx: &mut Ctxt) -> Seen<'a> {
    let clocks: Vec<Option<&StageAst>> = sides.iter().map(|s| s.clock).collect();
    let kinds: Vec<Option<String>> = clocks
        .iter()
        .map(|c| c.map(|c| c.name.to_string()))
        .collect();
    if kinds.windows(2).any(|w| w[0] != w[1]) {
        let said: Vec<String> = kinds
            .iter()
            .map(|k| {
                k.as_deref()
                    .map_or("no clock".to_owned(), |k| format!("`{k}`"))
            })
            .collect();
        cx.error_with(
            union.tokens(),
            &format!(
                "`union` joins streams of one clock, but these have {}",
                said.join(", ")
            ),
            &["help: give each input the same clock at its head: `event_time(|e| ...)` on each, or `processing_time()` on each".to_owned()],
        );
    }
    Seen {
        transformed: Some(union),
        union: Some(union),
        clock: clocks.first().copied().flatten(),
        previous: None,
        ..Seen::default()
    }
}

/// What a join of streams that ended as `sides` (named `names`) starts
/// from, with each side checked to be keyed and in event time. `join` is
/// the join as written.
pub fn after_join<'a>(
    sides: [Seen<'a>; 2],
    names: [String; 2],
    join: &'a StageAst,
    cx: &mut Ctxt,
) -> Seen<'a> {
    let op = join.name.to_string();
    // Errors about a side point at its name in the join.
    let side_tokens: Vec<proc_macro2::TokenStream> = join
        .args
        .iter()
        .filter(|a| matches!(a, crate::ast::Arg::Positional(_)))
        .take(2)
        .map(quote::ToTokens::to_token_stream)
        .collect();
    for (k, (seen, name)) in sides.iter().zip(&names).enumerate() {
        let at = side_tokens.get(k).cloned().unwrap_or_else(|| join.tokens());
        match (seen.key, seen.key_used) {
            (None, Some((used, _))) => cx.error_with(
                at.clone(),
                &format!("`{op}` pairs rows by key, and the last `key_by` of `{name}` was used by `{}` before it", used.name),
                &[format!("help: key `{name}` again: end it with `-> key_by(|row| row.key)`")],
            ),
            (None, None) => cx.error_with(
                at.clone(),
                &format!("`{op}` pairs rows by key, and `{name}` is not keyed"),
                &[format!("help: end `{name}` with `-> key_by(|row| row.key)`: each side's last `key_by` is its join key")],
            ),
            (Some(key), _) => {
                if let Some(changed) = seen.changed {
                    cx.error_with(
                        &changed.name,
                        &format!(
                            "`{op}` reads each row's key of `{name}` with the closure of `{}`, but `{}` after it changed the rows",
                            key.name, changed.name
                        ),
                        &[format!("help: move `{}` before `{}`: a side's last stage is its `key_by`", changed.name, key.name)],
                    );
                }
            }
        }
        match seen.clock {
            Some(clock) if clock.name == "event_time" => {}
            _ => cx.error_with(
                at.clone(),
                &format!("`{op}` pairs rows by their event time, and `{name}` has none"),
                &[format!(
                    "help: add `event_time(|row| row.timestamp_ms)` at the head of `{name}`'s input"
                )],
            ),
        }
    }
    Seen {
        transformed: Some(join),
        clock: sides[0].clock,
        previous: None,
        ..Seen::default()
    }
}

/// Checks one flow of a graph, or a whole pipeline (`start` is `None`: it
/// starts with its source type), and returns what it ends with.
pub fn check_flow<'a>(
    start: Option<Seen<'a>>,
    ast: &'a PipelineAst,
    stages: &[Stage<'a>],
    cx: &mut Ctxt,
) -> Seen<'a> {
    if start.is_none() && ast.source.is_none() {
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

    let mut seen = start.unwrap_or_default();
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
    seen
}

fn record<'a>(seen: &mut Seen<'a>, stage: &'a StageAst, op: &'static OpSpec) {
    match op.role {
        Role::Key => {
            seen.union = None;
            seen.key = Some(stage);
            seen.key_used = None;
            seen.changed = None;
        }
        Role::Clock => seen.clock = seen.clock.or(Some(stage)),
        Role::Window => seen.open_window = Some(stage),
        Role::Aggregate => {
            // A keyed window's results are `Windowed` records: its key is
            // spent, and a keyed stage after it needs a `key_by` again.
            if seen.open_window.take().is_some() && seen.key.is_some() {
                seen.key_used = Some((stage, op));
                seen.key = None;
            }
        }
        Role::Stateful => {
            if seen.key.is_some() {
                seen.key_used = Some((stage, op));
                seen.key = None;
            }
        }
        Role::Terminal => seen.terminal = seen.terminal.or(Some(stage)),
        Role::Transform => {}
    }
    if op.placement != Placement::Head {
        seen.transformed = seen.transformed.or(Some(stage));
    }
    if !op.keeps_events && op.role != Role::Key {
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
    if let Some(first) = seen.clock {
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
        cx.error_with(
            stage.tokens(),
            &format!(
                "`{name}` must see events as they enter (watermarks are made at the inputs), but it comes after `{}`",
                before.name
            ),
            &[format!(
                "help: move `{name}` directly after the source type, so events are timed as they enter"
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
                    ("one window", ", or use `window_all(...)` for one window over all events")
                } else {
                    ("its state", "")
                };
                match seen.key_used {
                    Some((used, used_op)) => {
                        // What the spent stage emits: a window's
                        // `Windowed` records, `reduce`/`fold`'s `(key,
                        // value)` pairs, or `process`'s own records.
                        let rekey = match used_op.role {
                            Role::Aggregate => "`key_by(|w| w.key)` (or another key)",
                            _ if used_op.name == "process" => "a `key_by` over what `process` emits",
                            _ => "`key_by(|(key, _)| *key)` (or another key)",
                        };
                        cx.error_with(
                            stage.tokens(),
                            &format!(
                                "`{name}` keeps {what} per key, and the last `key_by`'s key was used by `{}` before it",
                                used.name
                            ),
                            &[format!("help: key its input again: add {rekey} before `{name}`{alt}")],
                        );
                    }
                    None if seen.union.is_some() => cx.error_with(
                        stage.tokens(),
                        &format!("`{name}` keeps {what} per key, and the records of a `union` are not keyed: each side's `key_by` put its records on their cores, not the union's"),
                        &[format!("help: key the union: add `key_by(|event| event.key)` after `union(..)`, before `{name}`{alt}")],
                    ),
                    None => cx.error_with(
                        stage.tokens(),
                        &format!("`{name}` keeps {what} per key, and this pipeline has no `key_by` before it"),
                        &[format!("help: add `key_by(|event| event.key)` before `{name}`{alt}")],
                    ),
                }
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
            Needs::KeyedEvents if seen.key.is_some() => {
                if let (Some(changed), Some(key)) = (seen.changed, seen.key) {
                    cx.error_with(
                        stage.tokens(),
                        &format!(
                            "`{name}` reads each record's key with the closure of `{}`, but `{}` between them changed the records",
                            key.name, changed.name
                        ),
                        &[format!(
                            "help: move `{}` before `{}`, or key after it: `{} -> key_by(...) -> {name}`",
                            changed.name, key.name, changed.name
                        )],
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
        let es = errors("u64 -> mapp(|x| x) -> filter() -> processing_time()");
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
        assert!(
            es[2].contains("`map` between them changed the records"),
            "{es:#?}"
        );
    }

    #[test]
    fn graphs_rekey_after_each_keyed_stage() {
        assert!(
            errors(
                "Bid -> event_time(|b| b.t, lateness = 2s) -> map(|b| b) -> key_by(|b| b.a) \
                 -> window(sliding(10s, 2s)) -> aggregate(count()) -> key_by(|w| w.start) \
                 -> window(tumbling(2s)) -> aggregate(max(|w| w.value)) -> window_all(tumbling(2s)) \
                 -> aggregate(count()) -> key_by(|w| w.start) -> reduce(|a, b| a)"
            )
            .is_empty()
        );
        let es = errors(
            "Bid -> event_time(|b| b.t) -> key_by(|b| b.a) -> window(tumbling(1s)) \
             -> aggregate(count()) -> window(tumbling(2s)) -> aggregate(count())",
        );
        assert_eq!(es.len(), 1, "{es:#?}");
        assert!(es[0].contains("was used by `aggregate`"), "{es:#?}");
        assert!(es[0].contains("add `key_by(|w| w.key)`"), "{es:#?}");
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
