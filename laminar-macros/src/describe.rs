//! A Mermaid flowchart of a plan, made at compile time, so a person can look
//! at the dataflow instead of reading it.

use std::fmt::Write;

use quote::ToTokens;

use crate::plan::{Clock, Head, JoinKind, Output, Plan, Routing, Step};
use crate::time::Dur;

/// Longest label text before it is cut with an ellipsis.
const LABEL_MAX: usize = 60;

/// The flowchart of `plan`.
pub fn mermaid(plan: &Plan) -> String {
    let mut s = String::from("flowchart LR\n");
    let source = match &plan.head {
        Head::Source(source) => label(&source.to_token_stream().to_string()),
        Head::Union { .. } | Head::Fork | Head::Join(_) => "stream".to_owned(),
    };
    let _ = writeln!(s, "    input[/\"{source}\"/]");
    let route = route_label(plan);
    // Segments: the stages between two exchanges, each one fused chain
    // per core; an exchange is an edge between two segments.
    let mut segments: Vec<(Vec<String>, Option<String>)> = vec![(Vec::new(), None)];
    let mut nodes = String::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let id = format!("s{i}");
        match step {
            Step::Stage { op, args, .. } => {
                let args: Vec<String> = args.iter().map(tidy).collect();
                let text = label(&format!("{}({})", op.name, args.join(", ")));
                let _ = writeln!(nodes, "        {id}[\"{text}\"]");
            }
            Step::Stateful { op, args, .. } => {
                let args: Vec<String> = args.iter().map(tidy).collect();
                let text = label(&format!("{}({})", op.name, args.join(", ")));
                let _ = writeln!(nodes, "        {id}[(\"{text}<br/>keyed state\")]");
            }
            Step::Window(w) => {
                let text = format!(
                    "{}<br/>{}{}",
                    label(&tidy_text(&w.labels.0)),
                    label(&tidy_text(&w.labels.1)),
                    if w.two_phase {
                        "<br/>per core, merged on core 0"
                    } else {
                        ""
                    }
                );
                let _ = writeln!(nodes, "        {id}[[\"{text}\"]]");
            }
            Step::Exchange { label: text, .. } => {
                let how = format!("{}: exchange, hash → key group → core", tidy_text(text));
                close_segment(&mut s, &mut segments, &mut nodes, how);
                continue;
            }
            Step::Gather { .. } => {
                let how = "window_all: exchange, all to core 0".to_owned();
                close_segment(&mut s, &mut segments, &mut nodes, how);
                continue;
            }
            // Side flows and splits belong to graphs, which `graph` draws.
            Step::Tee { .. } | Step::Split { .. } => continue,
        }
        if let Some(last) = segments.last_mut() {
            last.0.push(id);
        }
    }
    close_segment(&mut s, &mut segments, &mut nodes, String::new());
    segments.pop();
    let first = segments.first().and_then(|seg| seg.0.first().cloned());
    let _ = writeln!(
        s,
        "    input -->|\"{}\"| {}",
        escape(&route),
        first.unwrap_or_default()
    );
    let mut last: Option<String> = None;
    let mut how: Option<String> = None;
    for (ids, exchange) in &segments {
        if let (Some(from), Some(to)) = (&last, ids.first()) {
            match &how {
                Some(how) => {
                    let _ = writeln!(s, "    {from} ==>|\"{}\"| {to}", escape(how));
                }
                None => {
                    let _ = writeln!(s, "    {from} --> {to}");
                }
            }
        }
        for pair in ids.windows(2) {
            let _ = writeln!(s, "    {} --> {}", pair[0], pair[1]);
        }
        last = ids.last().cloned().or(last);
        how = exchange.clone();
    }
    if plan.output == Output::Outbox
        && let Some(last) = last
    {
        let _ = writeln!(s, "    {last} --> output[(\"outboxes\")]");
    }
    s
}

/// Writes the segment whose nodes are in `nodes` as a subgraph (with a
/// pass-through node if it has no stage), and opens the next one, which
/// the exchange `how` feeds.
fn close_segment(
    s: &mut String,
    segments: &mut Vec<(Vec<String>, Option<String>)>,
    nodes: &mut String,
    how: String,
) {
    let k = segments.len() - 1;
    let Some(segment) = segments.last_mut() else {
        return;
    };
    if segment.0.is_empty() {
        let id = format!("p{k}");
        let _ = writeln!(nodes, "        {id}[\"pass through\"]");
        segment.0.push(id);
    }
    segment.1 = Some(how);
    let title = if k == 0 && segments.len() == 1 && segments[0].1.as_deref() == Some("") {
        "on every core: one fused chain".to_owned()
    } else {
        format!("segment {k}: one fused chain per core")
    };
    let _ = writeln!(s, "    subgraph seg{k}[\"{title}\"]");
    s.push_str(nodes);
    s.push_str("    end\n");
    nodes.clear();
    segments.push((Vec::new(), None));
}

/// The flowchart of a graph: each input, its route and clock; each flow's
/// stages; exchanges as thick edges; unions; fan-out as dotted edges to
/// side flows; the output.
pub fn graph(plan: &Plan) -> String {
    let mut s = String::from("flowchart LR\n");
    let mut next = 0;
    let last = draw(plan, None, &mut next, &mut s);
    if plan.output == Output::Outbox && !splits(plan) {
        let _ = writeln!(s, "    {last} --> output[(\"outboxes\")]");
    }
    s
}

/// Whether a flow ends in a split into several outputs.
fn splits(plan: &Plan) -> bool {
    matches!(plan.steps.last(), Some(Step::Split { .. }))
}

/// Draws `plan`'s flow, fed by `from` (the node a fork reads), and returns
/// its last node.
fn draw(plan: &Plan, from: Option<&str>, next: &mut usize, s: &mut String) -> String {
    let id = |next: &mut usize| {
        *next += 1;
        format!("n{next}")
    };
    let (mut last, mut edge) = match &plan.head {
        Head::Source(source) => {
            let input = id(next);
            let text = label(&source.to_token_stream().to_string());
            let _ = writeln!(s, "    {input}[/\"{text}\"/]");
            (input, Some(route_label(plan)))
        }
        Head::Union { sides, .. } => {
            let union = id(next);
            let ends: Vec<String> = sides.iter().map(|side| draw(side, None, next, s)).collect();
            let _ = writeln!(s, "    {union}((\"union\"))");
            for end in ends {
                let _ = writeln!(s, "    {end} --> {union}");
            }
            (union, None)
        }
        Head::Fork => (
            from.unwrap_or("input").to_owned(),
            Some("fan-out".to_owned()),
        ),
        Head::Join(join) => {
            let node = id(next);
            let ends: Vec<String> = join
                .sides
                .iter()
                .map(|side| draw(side, None, next, s))
                .collect();
            let how = match &join.kind {
                JoinKind::Interval {
                    lower,
                    upper,
                    outer,
                } => format!(
                    "{}: right time - left time in [{lower} ms, {upper} ms]",
                    if *outer { "left join" } else { "join" }
                ),
                JoinKind::Window(shape) => format!("window join: {}", shape.spec.usage),
                JoinKind::Table { outer } => format!(
                    "stream-table {}: each row with the table as of its time",
                    if *outer { "left join" } else { "join" }
                ),
            };
            let _ = writeln!(s, "    {node}{{{{\"{}\"}}}}", escape(&how));
            for (end, key) in ends.iter().zip(&join.keys) {
                let _ = writeln!(
                    s,
                    "    {end} ==>|\"key_by({}): exchange\"| {node}",
                    escape(&tidy(key))
                );
            }
            (node, None)
        }
    };
    let fork = matches!(plan.head, Head::Fork);
    let mut exchange: Option<String> = None;
    for step in &plan.steps {
        let text = match step {
            Step::Stage { op, args, .. } => {
                let args: Vec<String> = args.iter().map(tidy).collect();
                format!(
                    "[\"{}\"]",
                    label(&format!("{}({})", op.name, args.join(", ")))
                )
            }
            Step::Stateful { op, args, .. } => {
                let args: Vec<String> = args.iter().map(tidy).collect();
                format!(
                    "[(\"{}<br/>keyed state\")]",
                    label(&format!("{}({})", op.name, args.join(", ")))
                )
            }
            Step::Window(w) => format!(
                "[[\"{}<br/>{}{}\"]]",
                label(&tidy_text(&w.labels.0)),
                label(&tidy_text(&w.labels.1)),
                if w.two_phase {
                    "<br/>per core, merged on core 0"
                } else {
                    ""
                }
            ),
            Step::Exchange { label: text, .. } => {
                exchange = Some(format!("{}: exchange", tidy_text(text)));
                continue;
            }
            Step::Gather { .. } => {
                exchange = Some("window_all: exchange, all to core 0".to_owned());
                continue;
            }
            Step::Tee { side, .. } => {
                draw(side, Some(&last), next, s);
                continue;
            }
            Step::Split { left, right } => {
                for branch in [left, right] {
                    let end = draw(branch, Some(&last), next, s);
                    if branch.output == Output::Outbox && !splits(branch) {
                        *next += 1;
                        let _ = writeln!(s, "    {end} --> out{next}[(\"output\")]");
                    }
                }
                continue;
            }
        };
        let node = id(next);
        let _ = writeln!(s, "    {node}{text}");
        let arrow = match (exchange.take(), edge.take()) {
            (Some(how), _) => format!("==>|\"{}\"|", escape(&how)),
            (None, Some(how)) if fork => format!("-.->|\"{}\"|", escape(&how)),
            (None, Some(how)) => format!("-->|\"{}\"|", escape(&how)),
            (None, None) => "-->".to_owned(),
        };
        let _ = writeln!(s, "    {last} {arrow} {node}");
        last = node;
    }
    last
}

/// How an input's events reach the cores, and its clock.
fn route_label(plan: &Plan) -> String {
    let mut route = match &plan.routing {
        Routing::RoundRobin => "round-robin".to_owned(),
        Routing::ByKey { key, .. } => format!("key_by({}): hash → key group → core", tidy(key)),
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
    route
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
    fn graph_shows_segments_and_exchanges() {
        let c = chart(
            "Bid -> event_time(|b| b.t, lateness = 2s) -> key_by(|b| b.a) \
             -> window(sliding(10s, 2s)) -> aggregate(count()) -> key_by(|w| w.start) \
             -> window(tumbling(2s)) -> aggregate(max(|w| w.value)) \
             -> window_all(tumbling(2s), emit = on_update) -> aggregate(count())",
        );
        assert!(c.contains("subgraph seg0[\"segment 0"), "{c}");
        assert!(c.contains("subgraph seg2[\"segment 2"), "{c}");
        assert!(
            c.contains("s0 ==>|\"key_by(|w| w.start): exchange, hash → key group → core\"| s2"),
            "{c}"
        );
        assert!(
            c.contains("s2 ==>|\"window_all: exchange, all to core 0\"| s4"),
            "{c}"
        );
        assert!(c.contains("s4 --> output"), "{c}");
        // A `window_all` that fires once per window runs in two phases,
        // inside its segment: no exchange drawn before it.
        let c = chart(
            "Bid -> event_time(|b| b.t) -> window_all(tumbling(10s)) -> aggregate(max(|b| b.p))",
        );
        assert!(c.contains("per core, merged on core 0"), "{c}");
        assert!(!c.contains("==>"), "{c}");
    }

    #[test]
    fn empty_chain_passes_through() {
        let c = chart("u8");
        assert!(c.contains("pass through"), "{c}");
        assert!(c.contains("round-robin"), "{c}");
    }
}
