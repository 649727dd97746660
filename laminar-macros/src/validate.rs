//! Checks a parsed pipeline against the operator table and reports every
//! problem it finds, each at the user's tokens, with a line saying what to
//! change.

use crate::ast::{Arg, PipelineAst, StageAst};
use crate::ctxt::Ctxt;
use crate::ops::{self, OpSpec, Placement, Role};
use crate::suggest;

/// Reports every problem of `ast` into `cx`.
pub fn check(ast: &PipelineAst, cx: &mut Ctxt) {
    if ast.source.is_none() {
        let message = "a pipeline starts with the type of its events";
        let help = "help: write the event type first: `stream! { MyEvent -> map(|e| ...) }`";
        match ast.stages.first() {
            Some(first) => cx.error_with(first.arrow, message, &[help.to_owned()]),
            None => cx.push(syn::Error::new(
                ast.span,
                format!("empty pipeline: {message}\n{help}"),
            )),
        }
    }

    if let Some(source) = &ast.source {
        check_static(source, cx);
    }

    let mut terminal: Option<&StageAst> = None;
    let mut keyed: Option<&StageAst> = None;
    for (index, stage) in ast.stages.iter().enumerate() {
        let name = stage.name.to_string();
        let Some(op) = ops::lookup(&name) else {
            unknown_operator(stage, &name, cx);
            continue;
        };
        if let (Some(term), Role::Terminal) = (terminal, op.role) {
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
        } else if let Some(term) = terminal {
            cx.error_with(
                stage.tokens(),
                &format!("`{name}` cannot follow `{}`, which ends the pipeline", term.name),
                &[format!(
                    "help: move `{}` to the end, or remove it to send results to the runtime's outboxes",
                    term.name
                )],
            );
        }
        check_arguments(stage, op, cx);
        check_placement(stage, op, index, &ast.stages, keyed, cx);
        match op.role {
            Role::Terminal => terminal = terminal.or(Some(stage)),
            Role::Key => keyed = keyed.or(Some(stage)),
            Role::Transform => {}
        }
    }
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

fn unknown_operator(stage: &StageAst, name: &str, cx: &mut Ctxt) {
    let mut extra = Vec::new();
    if let Some(near) = suggest::nearest(name, ops::OPS.iter().map(|op| op.name)) {
        let usage = ops::lookup(near).map_or(near, |op| op.usage);
        extra.push(format!("help: did you mean `{near}`? `{usage}`"));
    }
    extra.push(format!("note: the operators are: {}", ops::names()));
    cx.error_with(&stage.name, &format!("unknown operator `{name}`"), &extra);
}

fn check_arguments(stage: &StageAst, op: &OpSpec, cx: &mut Ctxt) {
    let name = op.name;
    if stage.paren.is_none() {
        cx.error_with(
            &stage.name,
            &format!("`{name}` needs its arguments in parentheses"),
            &[format!("help: write `{}`", op.usage)],
        );
        return;
    }
    let positional = stage
        .args
        .iter()
        .filter(|a| matches!(a, Arg::Positional(_)))
        .count();
    let want = op.positional.len();
    if positional != want {
        let plural = if want == 1 { "" } else { "s" };
        cx.error_with(
            stage.args_tokens(),
            &format!("`{name}` takes {want} argument{plural}, but {positional} were given"),
            &[format!("help: write `{}`", op.usage)],
        );
    }
    for arg in &stage.args {
        if let Some(arg_name) = arg.name() {
            let text = arg_name.to_string();
            if !op.named.contains(&text.as_str()) {
                let accepted = if op.named.is_empty() {
                    format!("note: `{name}` takes no named arguments")
                } else {
                    format!("note: `{name}` accepts: {}", op.named.join(", "))
                };
                cx.error_with(
                    arg_name,
                    &format!("`{name}` has no argument named `{text}`"),
                    &[accepted],
                );
            }
        }
    }
}

fn check_placement(
    stage: &StageAst,
    op: &OpSpec,
    index: usize,
    stages: &[StageAst],
    keyed: Option<&StageAst>,
    cx: &mut Ctxt,
) {
    if op.placement != Placement::Head {
        return;
    }
    if let Some(first) = keyed {
        cx.error_with(
            stage.tokens(),
            &format!(
                "a second `{}` would re-route events between cores (an exchange), which is not supported yet",
                op.name
            ),
            &[format!(
                "note: the pipeline is already keyed by the `{}` at the head; key once, at the source",
                first.name
            )],
        );
    } else if index > 0 {
        cx.error_with(
            stage.tokens(),
            &format!(
                "`{}` after `{}` would re-route events between cores (an exchange), which is not supported yet",
                op.name, stages[index - 1].name
            ),
            &[format!(
                "help: move `{}` directly after the source type, so events are routed as they enter",
                op.name
            )],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(src: &str) -> Vec<String> {
        let ast: PipelineAst = syn::parse_str(src).expect("parses");
        let mut cx = Ctxt::default();
        check(&ast, &mut cx);
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
}
