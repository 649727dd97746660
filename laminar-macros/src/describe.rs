//! A Mermaid flowchart of a plan, made at compile time, so a person can look
//! at the dataflow instead of reading it.

use std::fmt::Write;

use quote::ToTokens;

use crate::plan::{Clock, Output, Plan, Routing, Step};
use crate::time::Dur;

/// Longest label text before it is cut with an ellipsis.
const LABEL_MAX: usize = 60;

/// The flowchart of `plan`.
pub fn mermaid(plan: &Plan) -> String {
    let mut s = String::from("flowchart LR\n");
    let source = label(&plan.source.to_token_stream().to_string());
    let _ = writeln!(s, "    input[/\"{source}\"/]");
    let mut route = match &plan.routing {
        Routing::RoundRobin => "round-robin".to_owned(),
        Routing::ByKey { key, .. } => {
            format!("key_by({}): hash → key group → core", tidy(key))
        }
        Routing::ToOne { .. } => "window_all: all to core 0".to_owned(),
    };
    match &plan.clock {
        Clock::Event {
            extractor,
            lateness,
            ..
        } => route.push_str(&format!(
            "; event_time({}), watermark = max - {}",
            tidy(extractor),
            match lateness {
                Dur::Millis(ms) => format!("{ms} ms"),
                Dur::Expr { expr, .. } => tidy(expr),
            }
        )),
        Clock::Processing { .. } => route.push_str("; processing time"),
        Clock::None => {}
    }
    s.push_str("    subgraph core[\"on every core: one fused chain\"]\n");
    let mut ids = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        match step {
            Step::Stage { op, args, .. } => {
                let args: Vec<String> = args.iter().map(tidy).collect();
                let text = label(&format!("{}({})", op.name, args.join(", ")));
                let _ = writeln!(s, "        s{i}[\"{text}\"]");
            }
            Step::Stateful { op, args, .. } => {
                let args: Vec<String> = args.iter().map(tidy).collect();
                let text = label(&format!("{}({})", op.name, args.join(", ")));
                let _ = writeln!(s, "        s{i}[(\"{text}<br/>keyed state\")]");
            }
            Step::Window(w) => {
                let text = format!(
                    "{}<br/>{}",
                    label(&tidy_text(&w.labels.0)),
                    label(&tidy_text(&w.labels.1))
                );
                let _ = writeln!(s, "        s{i}[[\"{text}\"]]");
            }
        }
        ids.push(format!("s{i}"));
    }
    if ids.is_empty() {
        s.push_str("        s0[\"pass through\"]\n");
        ids.push("s0".to_owned());
    }
    s.push_str("    end\n");
    let _ = writeln!(s, "    input -->|\"{}\"| {}", escape(&route), ids[0]);
    for pair in ids.windows(2) {
        let _ = writeln!(s, "    {} --> {}", pair[0], pair[1]);
    }
    if plan.output == Output::Outbox {
        let _ = writeln!(s, "    {} --> output[(\"outboxes\")]", ids[ids.len() - 1]);
    }
    s
}

/// Tokens printed as a person would write them (near enough).
fn tidy(expr: &impl ToTokens) -> String {
    tidy_text(&expr.to_token_stream().to_string())
}

/// Printed tokens, tidied.
pub fn tidy_text(raw: &str) -> String {
    let mut out = raw
        .replace(" . ", ".")
        .replace(" ,", ",")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" !", "!");
    // `f (x)` → `f(x)`, but `|b| (x)` keeps its space.
    let chars: Vec<char> = out.chars().collect();
    out = chars
        .iter()
        .enumerate()
        .filter(|&(i, &c)| {
            !(c == ' '
                && chars.get(i + 1) == Some(&'(')
                && i > 0
                && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_' || chars[i - 1] == '!'))
        })
        .map(|(_, &c)| c)
        .collect();
    // `| b |` → `|b|`, for bars that open a closure: at the start, or
    // after `(`, `,` or `move`.
    let mut from = 0;
    while let Some(at) = out[from..].find("| ").map(|i| i + from) {
        let before = out[..at].trim_end();
        let opens = before.is_empty()
            || before.ends_with('(')
            || before.ends_with(',')
            || before.ends_with("move");
        match out[at + 2..].find(" |").map(|i| i + at + 2) {
            Some(close) if opens => {
                out = format!(
                    "{}|{}|{}",
                    &out[..at],
                    &out[at + 2..close],
                    &out[close + 2..]
                );
                from = at + 1;
            }
            _ => from = at + 2,
        }
    }
    out
}

/// Escapes text for a quoted Mermaid label and cuts it to length.
fn label(text: &str) -> String {
    let mut cut: String = text.chars().take(LABEL_MAX).collect();
    if text.chars().count() > LABEL_MAX {
        cut.push('…');
    }
    escape(&cut)
}

/// Escapes text for a quoted Mermaid label.
fn escape(text: &str) -> String {
    text.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::PipelineAst;
    use crate::ctxt::Ctxt;
    use crate::plan::plan;

    fn chart(src: &str) -> String {
        let ast = syn::parse_str::<PipelineAst>(src).unwrap_or_else(|e| panic!("{e}"));
        let mut cx = Ctxt::default();
        let stages = crate::read::stages(&ast, &mut cx);
        assert!(cx.finish().is_ok());
        let source = ast.source.clone().unwrap_or_else(|| panic!("a source"));
        mermaid(&plan(source, &stages).unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn keyed_pipeline() {
        let c = chart("Bid -> key_by(|b| b.auction) -> map(|b| (b.auction, b.price))");
        assert!(c.starts_with("flowchart LR\n"));
        assert!(c.contains("input[/\"Bid\"/]"), "{c}");
        assert!(c.contains("key_by(|b| b.auction): hash"), "{c}");
        assert!(c.contains("s0[\"map(|b| (b.auction, b.price))\"]"), "{c}");
        assert!(c.contains("s0 --> output"), "{c}");
    }

    #[test]
    fn terminal_has_no_outbox_and_quotes_are_escaped() {
        let c = chart(r#"u8 -> inspect(|x| println!("{x}")) -> for_each(|x| drop(x))"#);
        assert!(!c.contains("output"), "{c}");
        assert!(c.contains("#quot;"), "{c}");
        assert!(c.contains("s0 --> s1"), "{c}");
    }

    #[test]
    fn windowed_pipeline() {
        let c = chart(
            "Bid -> event_time(|b| b.t, lateness = 2s) -> key_by(|b| b.a) \
             -> window(tumbling(10s)) -> aggregate(max(|b| b.p))",
        );
        assert!(
            c.contains("event_time(|b| b.t), watermark = max - 2000 ms"),
            "{c}"
        );
        assert!(
            c.contains("s0[[\"window(tumbling(10s))<br/>aggregate(max(|b| b.p))\"]]"),
            "{c}"
        );
    }

    #[test]
    fn empty_chain_passes_through() {
        let c = chart("u8");
        assert!(c.contains("pass through"), "{c}");
        assert!(c.contains("round-robin"), "{c}");
    }
}
