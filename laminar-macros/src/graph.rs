//! A pipeline of several flows: the names, the checks that span flows, and
//! the lowering into one plan.
//!
//! Each flow reads an input (a type), a stream named before it, or a
//! `union` of such streams. A stream read by several flows fans out: all
//! but one of its readers end in a sink (`for_each`), and they become side
//! branches of the one that goes on (the trunk). So the records of every
//! input follow one trunk to the pipeline's output, joining others at
//! unions, and the whole graph is one fused chain per core: a tree of
//! unions whose branches carry side sinks.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::ast::{Arg, FlowAst, GraphAst, HeadAst};
use crate::ctxt::{Ctxt, to_compile_errors};
use crate::ops::Role;
use crate::plan::{self, Head, Item, JoinKind, JoinPlan, Plan};
use crate::read::{self, Stage};
use crate::time::Dur;
use crate::validate::{self, Seen};
use crate::{describe, generate};

/// Where a flow's records come from, once names are resolved.
enum Source {
    Input,
    Stream(usize),
    Union(Vec<usize>),
    Join(Box<JoinSource>),
}

/// A join head, read: its sides and how they pair.
struct JoinSource {
    sides: [usize; 2],
    kind: JoinKind,
    build: syn::Expr,
    name: syn::Ident,
    at: [proc_macro2::Span; 2],
}

impl Source {
    /// The flows this one reads.
    fn reads(&self) -> Vec<usize> {
        match self {
            Source::Input => Vec::new(),
            Source::Stream(j) => vec![*j],
            Source::Union(sides) => sides.clone(),
            Source::Join(join) => join.sides.to_vec(),
        }
    }
}

/// Reads `join(a, b, |l, r| .., window = ..)` or `between = (lo, hi)`;
/// `find` resolves the names.
fn read_join(
    join: &crate::ast::StageAst,
    cx: &mut Ctxt,
    mut find: impl FnMut(&syn::Ident, &mut Ctxt) -> Option<usize>,
) -> Option<JoinSource> {
    let outer = join.name == "left_join";
    let usage = if outer {
        "left_join(a, b, |l, r: Option<&R>| ..., between = (0s, 10s))"
    } else {
        "join(a, b, |l, r| ..., window = tumbling(10s))`, `join(a, b, |l, r| ..., between = (0s, 10s))` or `join(stream, table(changes), |row, value| ...)"
    };
    let positional: Vec<&syn::Expr> = join
        .args
        .iter()
        .filter_map(|a| match a {
            Arg::Positional(e) => Some(e),
            Arg::Named { .. } => None,
        })
        .collect();
    let [left, right, build] = positional[..] else {
        let given = match positional.len() {
            0 => "none was given".to_owned(),
            n => format!(
                "{n} argument{} given",
                if n == 1 { " was" } else { "s were" }
            ),
        };
        cx.error_with(
            join.tokens(),
            &format!(
                "`{}` takes two streams and a closure that builds each result, and {given}",
                join.name
            ),
            &[format!("help: write `{usage}`")],
        );
        return None;
    };
    let mut sides = [0usize; 2];
    let mut at = [join.name.span(); 2];
    // `table(b)`: the right side is a table of changes.
    let (right, table) = match right {
        syn::Expr::Call(call)
            if matches!(&*call.func, syn::Expr::Path(f) if f.path.is_ident("table"))
                && call.args.len() == 1 =>
        {
            (&call.args[0], true)
        }
        other => (other, false),
    };
    for (k, arg) in [left, right].into_iter().enumerate() {
        let syn::Expr::Path(p) = arg else {
            cx.error_with(
                arg,
                &format!("`{}` takes the names of two streams", join.name),
                &[format!("help: write `{usage}`")],
            );
            return None;
        };
        let name = p.path.get_ident()?;
        at[k] = name.span();
        sides[k] = find(name, cx)?;
    }
    if sides[0] == sides[1] {
        cx.error_with(
            right,
            &format!("`{}` joins a stream with itself, which is not supported", join.name),
            &["help: join two different streams; a self-join (one stream read as both sides) is not supported yet".to_owned()],
        );
        return None;
    }
    let mut kind = None;
    for arg in &join.args {
        let Arg::Named { name, value, .. } = arg else {
            continue;
        };
        let read = match name.to_string().as_str() {
            "window" if !outer => crate::time::shape(value).and_then(|shape| {
                if !shape.spec.geometry {
                    Err(syn::Error::new_spanned(
                        value,
                        format!("a join cannot pair rows in a `{}` window\nhelp: write `window = tumbling(size)` or `window = sliding(size, slide)`", shape.spec.name),
                    ))
                } else if shape.durations.iter().all(|d| matches!(d, Dur::Millis(_))) {
                    Ok(JoinKind::Window(shape))
                } else {
                    Err(syn::Error::new_spanned(value, "a join's window durations are literals, such as `tumbling(10s)`\nhelp: write each duration with a unit: `10s`, `500ms`, `1min`"))
                }
            }),
            "between" => between(value).map(|(lower, upper)| JoinKind::Interval { lower, upper, outer }),
            other => Err(syn::Error::new_spanned(
                name,
                format!("`{}` has no argument `{other}`
help: write `{usage}`", join.name),
            )),
        };
        match (read, &kind) {
            (Ok(_), Some(_)) => {
                cx.error_with(
                    name,
                    &format!(
                        "`{}` pairs rows one way: give `window` or `between`, once",
                        join.name
                    ),
                    &[],
                );
                return None;
            }
            (Ok(k), None) => kind = Some(k),
            (Err(e), _) => {
                cx.push(e);
                return None;
            }
        }
    }
    if table {
        if kind.is_some() {
            let named = join.args.iter().find(|a| matches!(a, Arg::Named { .. }));
            cx.error_with(
                named.map_or_else(|| join.tokens(), ToTokens::to_token_stream),
                &format!("a stream-table `{}` joins each row with the table as of the row's time: it takes no `window` or `between`", join.name),
                &["help: remove the `window` or `between` argument".to_owned()],
            );
            return None;
        }
        kind = Some(JoinKind::Table { outer });
    }
    let Some(kind) = kind else {
        cx.error_with(
            join.tokens(),
            &format!("`{}` needs to know which rows pair", join.name),
            &[format!("help: write `{usage}`")],
        );
        return None;
    };
    Some(JoinSource {
        sides,
        kind,
        build: build.clone(),
        name: join.name.clone(),
        at,
    })
}

/// Reads `(lower, upper)`: two literal durations, either maybe negative,
/// `lower <= upper`.
fn between(value: &syn::Expr) -> syn::Result<(i64, i64)> {
    let help = "help: write `between = (lower, upper)`, such as `(-2s, 0s)`: the right row's time minus the left's lies in it";
    let syn::Expr::Tuple(t) = value else {
        return Err(syn::Error::new_spanned(
            value,
            format!("expected two durations\n{help}"),
        ));
    };
    let bounds: Vec<i64> = t
        .elems
        .iter()
        .map(|e| {
            let (neg, inner) = match e {
                syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => (true, &*u.expr),
                other => (false, other),
            };
            match crate::time::duration(inner, true, "bound", "a join's bound")? {
                Dur::Millis(ms) => {
                    let ms = i64::try_from(ms)
                        .map_err(|_| syn::Error::new_spanned(e, "this bound is too large"))?;
                    Ok(if neg { -ms } else { ms })
                }
                Dur::Expr { .. } => Err(syn::Error::new_spanned(
                    e,
                    format!("a join's bounds are literal durations, such as `10s`\n{help}"),
                )),
            }
        })
        .collect::<syn::Result<_>>()?;
    match bounds[..] {
        [lower, upper] if lower <= upper => Ok((lower, upper)),
        [lower, upper] => Err(syn::Error::new_spanned(
            value,
            format!(
                "the lower bound ({lower} ms) is above the upper ({upper} ms): no rows would pair\nhelp: write the lower bound first"
            ),
        )),
        _ => Err(syn::Error::new_spanned(
            value,
            format!("expected two durations\n{help}"),
        )),
    }
}

/// Expands a graph.
pub fn expand(ast: &GraphAst) -> TokenStream {
    let mut cx = Ctxt::default();
    let resolved = resolve(ast, &mut cx);
    let split = resolved
        .as_ref()
        .and_then(|(sources, outputs)| split_point(ast, sources, outputs, &mut cx));
    let input_type = match (&resolved, &split) {
        (Some((sources, _)), Some(split)) => input_type(ast, sources, split.at),
        _ => None,
    };
    let (Some((sources, outputs)), Some(split)) = (resolved, split) else {
        return generate::stub_typed(input_type, to_compile_errors(errors(cx)));
    };
    let readers = readers(ast, &sources);
    let trunks = trunks(ast, &readers, &outputs, &split, &mut cx);
    let stages: Vec<Vec<Stage>> = ast
        .flows
        .iter()
        .map(|f| read::stages(&f.body, &mut cx))
        .collect();
    check_flows(ast, &sources, &stages, &mut cx);
    let mut visited = vec![false; ast.flows.len()];
    let lowered = lower(
        ast,
        &sources,
        &readers,
        &trunks,
        &stages,
        &split,
        &mut visited,
    );
    for (i, flow) in ast.flows.iter().enumerate() {
        if !visited[i] {
            cx.error_with(
                flow.head_tokens(),
                "this flow does not reach the pipeline's output: its records never meet the last flow's",
                &["help: a pipeline is one connected graph: read this stream in a flow that leads to the output, through `union(..)`, or write a second `stream!`".to_owned()],
            );
        }
    }
    let checked = cx.finish().and_then(|()| lowered.map_err(|e| vec![e]));
    match checked {
        Ok(plan) => {
            let chart = describe::graph(&plan);
            generate::pipeline(&plan, &chart)
        }
        Err(errors) => generate::stub_typed(input_type, to_compile_errors(errors)),
    }
}

/// Where several outputs part: the stream all of them read, and, per
/// output, the path of flows from the reader of that stream down to the
/// output.
struct SplitPoint {
    at: usize,
    paths: Vec<Vec<usize>>,
}

/// The deepest stream every output descends from by names (not through a
/// union); its readers towards the outputs must differ.
fn split_point(
    ast: &GraphAst,
    sources: &[Source],
    outputs: &[usize],
    cx: &mut Ctxt,
) -> Option<SplitPoint> {
    let chain = |mut f: usize| {
        let mut up = vec![f];
        while let Source::Stream(j) = sources[f] {
            up.push(j);
            f = j;
        }
        up
    };
    let chains: Vec<Vec<usize>> = outputs.iter().map(|&o| chain(o)).collect();
    let first = chains.first()?;
    let at = first
        .iter()
        .copied()
        .find(|f| chains.iter().all(|c| c.contains(f)));
    let tokens = || {
        ast.outputs
            .as_ref()
            .map(|(paren, names)| {
                let mut ts = TokenStream::new();
                paren.surround(&mut ts, |inner| names.to_tokens(inner));
                ts
            })
            .unwrap_or_default()
    };
    let Some(at) = at else {
        cx.error_with(
            tokens(),
            "the outputs of one `stream!` part from one stream: these read no stream in common",
            &["help: read one stream in each output's flow (`let a = s -> ...; let b = s -> ...; (a, b)`), or write one `stream!` per output".to_owned()],
        );
        return None;
    };
    let mut paths: Vec<Vec<usize>> = Vec::new();
    for c in &chains {
        let below: Vec<usize> = c.iter().copied().take_while(|&f| f != at).collect();
        let mut path = below;
        path.reverse();
        paths.push(path);
    }
    if outputs.len() > 1 {
        for (i, p) in paths.iter().enumerate() {
            let shared = p.is_empty() || paths[..i].iter().any(|q| q.first() == p.first());
            if shared {
                cx.error_with(
                    tokens(),
                    "several outputs must part where they leave their common stream: two of these go on through one flow first",
                    &["help: read the common stream directly in each output's flow; outputs parting after a shared flow are not supported yet".to_owned()],
                );
                return None;
            }
        }
    }
    Some(SplitPoint { at, paths })
}

fn errors(cx: Ctxt) -> Vec<syn::Error> {
    cx.finish().err().unwrap_or_default()
}

/// Each flow's source, with every name defined once, before its use, and
/// used, and the outputs (the last flow, or the flows `(a, b, ..)` names);
/// `None` when names are wrong, which leaves nothing to check.
fn resolve(ast: &GraphAst, cx: &mut Ctxt) -> Option<(Vec<Source>, Vec<usize>)> {
    let mut defined: HashMap<String, usize> = HashMap::new();
    let mut ok = true;
    for (i, flow) in ast.flows.iter().enumerate() {
        if let Some((_, name)) = &flow.binding {
            if let Some(&first) = defined.get(&name.to_string()) {
                let first_name = ast.flows[first].binding.as_ref().map(|(_, n)| n);
                cx.error_with(
                    name,
                    &format!("the stream `{name}` is defined twice"),
                    &[format!(
                        "help: give this stream another name; the first `{}` stays as it is",
                        first_name.map_or_else(|| name.to_string(), ToString::to_string)
                    )],
                );
                ok = false;
            } else {
                defined.insert(name.to_string(), i);
            }
        }
    }
    let find = |name: &syn::Ident, at: usize, cx: &mut Ctxt| -> Option<usize> {
        match defined.get(&name.to_string()) {
            Some(&j) if j < at => Some(j),
            Some(&j) if j == at => {
                cx.error_with(
                    name,
                    &format!("the stream `{name}` reads itself"),
                    &[
                        "help: streams form no cycles: a flow reads streams defined before it"
                            .to_owned(),
                    ],
                );
                None
            }
            Some(_) => {
                cx.error_with(
                    name,
                    &format!("the stream `{name}` is used before it is defined"),
                    &[format!("help: move `let {name} = ...;` above this flow; streams form no cycles, so a flow reads only streams defined before it")],
                );
                None
            }
            None => {
                let names = defined.keys().map(String::as_str);
                let near = crate::suggest::nearest(&name.to_string(), names);
                cx.error_with(
                    name,
                    &format!("no stream named `{name}`"),
                    &[near.map_or_else(
                        || "help: name a stream first: `let name = Type -> ...;`".to_owned(),
                        |n| format!("help: did you mean `{n}`?"),
                    )],
                );
                None
            }
        }
    };
    let mut sources = Vec::new();
    for (i, flow) in ast.flows.iter().enumerate() {
        sources.push(match &flow.head {
            HeadAst::Type => Source::Input,
            HeadAst::Name(name) => match find(name, i, cx) {
                Some(j) => Source::Stream(j),
                None => {
                    ok = false;
                    Source::Input
                }
            },
            HeadAst::Union(join) if join.name != "union" => {
                match read_join(join, cx, |name, cx| find(name, i, cx)) {
                    Some(join) => Source::Join(Box::new(join)),
                    None => {
                        ok = false;
                        // The streams named stay read: a wrong join is one
                        // error, not also "never used" for its sides.
                        let named = join.args.iter().filter_map(|a| match a {
                            Arg::Positional(syn::Expr::Path(p)) => p.path.get_ident(),
                            Arg::Positional(syn::Expr::Call(c)) => {
                                c.args.first().and_then(|a| match a {
                                    syn::Expr::Path(p) => p.path.get_ident(),
                                    _ => None,
                                })
                            }
                            _ => None,
                        });
                        Source::Union(
                            named
                                .filter_map(|n| defined.get(&n.to_string()).copied())
                                .collect(),
                        )
                    }
                }
            }
            HeadAst::Union(union) => {
                let mut sides = Vec::new();
                for arg in &union.args {
                    let name = match arg {
                        Arg::Positional(syn::Expr::Path(p)) => p.path.get_ident(),
                        _ => None,
                    };
                    let Some(name) = name else {
                        cx.error_with(
                            arg,
                            "`union` takes the names of streams",
                            &["help: name each stream first: `let a = A -> ...;`, then `union(a, b)`".to_owned()],
                        );
                        ok = false;
                        continue;
                    };
                    match find(name, i, cx) {
                        Some(j) if sides.contains(&j) => {
                            cx.error_with(
                                name,
                                &format!("`union` reads `{name}` twice"),
                                &[format!("help: name `{name}` once: a union of a stream with itself would count each record twice")],
                            );
                            ok = false;
                        }
                        Some(j) => sides.push(j),
                        None => ok = false,
                    }
                }
                if sides.len() < 2 && ok {
                    cx.error_with(
                        union.tokens(),
                        "`union` joins two or more streams",
                        &["help: write `union(a, b)`, or read the one stream by its name".to_owned()],
                    );
                    ok = false;
                }
                Source::Union(sides)
            }
        });
    }
    let last = ast.flows.len().checked_sub(1)?;
    let mut outputs = Vec::new();
    match &ast.outputs {
        Some((_, names)) => {
            for name in names {
                match find(name, ast.flows.len(), cx) {
                    Some(j) if outputs.contains(&j) => {
                        cx.error_with(
                            name,
                            &format!("`{name}` is named twice among the outputs"),
                            &[format!("help: name `{name}` once: each output is read through its own handle")],
                        );
                        ok = false;
                    }
                    Some(j) => outputs.push(j),
                    None => ok = false,
                }
            }
            if outputs.is_empty() && ok {
                cx.push(syn::Error::new(
                    ast.outputs.as_ref()?.0.span.join(),
                    "`()` names no output\nhelp: name the streams to output, `(a, b)`, or make the last flow the output",
                ));
                ok = false;
            }
        }
        None => outputs.push(last),
    }
    let tuple = ast.outputs.is_some();
    if outputs.len() > 1 {
        for (r, source) in sources.iter().enumerate() {
            let read = source.reads();
            if let Some(&o) = read.iter().find(|j| outputs.contains(j))
                && !is_side(ast, r)
            {
                let name = ast.flows[o]
                    .binding
                    .as_ref()
                    .map(|(_, n)| n.to_string())
                    .unwrap_or_default();
                cx.error_with(
                    ast.flows[r].head_tokens(),
                    &format!("`{name}` is an output, so no flow reads it on"),
                    &[format!("help: read the stream `{name}` reads instead, or name this flow among the outputs in place of `{name}`")],
                );
                ok = false;
            }
        }
    }
    for (i, flow) in ast.flows.iter().enumerate() {
        let Some((_, name)) = &flow.binding else {
            continue;
        };
        let used = outputs.contains(&i) || sources.iter().any(|s| s.reads().contains(&i));
        if i == last && !tuple {
            cx.error_with(
                name,
                &format!("the last flow is the pipeline's output, so it needs no name: `{name}` would never be read"),
                &["help: remove `let ... =` from the last flow".to_owned()],
            );
            ok = false;
        } else if !used && defined.get(&name.to_string()) == Some(&i) {
            cx.error_with(
                name,
                &format!("the stream `{name}` is never used"),
                &[format!("help: read it in a later flow (`{name} -> ...` or `union({name}, ..)`), or remove it")],
            );
            ok = false;
        }
    }
    let statements = if tuple {
        &ast.flows[..]
    } else {
        &ast.flows[..last]
    };
    for flow in statements {
        if flow.binding.is_none() && !ends_in_sink(flow) {
            let at = flow
                .body
                .stages
                .last()
                .map_or_else(|| flow.head_tokens(), |s| s.tokens());
            cx.error_with(
                at,
                "the records of this flow go nowhere: a flow with `;` and no name must end in a sink",
                &["help: end it with `-> for_each(|event| ...)`, name it (`let name = ...;`) and read it in a later flow, or make it the last flow, the pipeline's output".to_owned()],
            );
            ok = false;
        }
    }
    if let (false, Some(semi)) = (tuple, &ast.flows[last].semi) {
        cx.error_with(
            semi,
            "the last flow is the pipeline's output: remove the `;` after it",
            &[],
        );
        ok = false;
    }
    ok.then_some((sources, outputs))
}

/// The flows that read each flow, in order.
fn readers(ast: &GraphAst, sources: &[Source]) -> Vec<Vec<usize>> {
    let mut readers = vec![Vec::new(); ast.flows.len()];
    for (i, source) in sources.iter().enumerate() {
        for j in source.reads() {
            readers[j].push(i);
        }
    }
    readers
}

/// Whether a flow ends in a sink.
fn ends_in_sink(flow: &FlowAst) -> bool {
    flow.body.stages.last().is_some_and(|s| {
        crate::ops::lookup(&s.name.to_string()).is_some_and(|op| op.role == Role::Terminal)
    })
}

/// A side branch: a statement that reads a stream by name and has no name
/// of its own (it must end in a sink, which `resolve` checks).
fn is_side(ast: &GraphAst, r: usize) -> bool {
    let flow = &ast.flows[r];
    (ast.outputs.is_some() || r + 1 < ast.flows.len())
        && matches!(flow.head, HeadAst::Name(_))
        && flow.binding.is_none()
}

/// Each flow's trunk: the one reader its records go on to (the others are
/// side branches), checked to be at most one that goes on.
fn trunks(
    ast: &GraphAst,
    readers: &[Vec<usize>],
    outputs: &[usize],
    split: &SplitPoint,
    cx: &mut Ctxt,
) -> Vec<Option<usize>> {
    readers
        .iter()
        .enumerate()
        .map(|(i, rs)| {
            let going_on: Vec<usize> = rs.iter().copied().filter(|&r| !is_side(ast, r)).collect();
            if outputs.len() > 1 && i == split.at {
                // The outputs part here: each path is a branch of the split.
                return None;
            }
            if outputs.contains(&i) && outputs.len() > 1 {
                // `resolve` reported any reader that goes on.
                return None;
            }
            if let Some(&second) = going_on.get(1) {
                let name = ast.flows[i].binding.as_ref().map(|(_, n)| n.to_string()).unwrap_or_default();
                cx.error_with(
                    ast.flows[second].head_tokens(),
                    &format!("`{name}` is read by more than one flow that goes on"),
                    &[
                        format!("help: every reader of `{name}` but one must end in `for_each(..)` (side branches of the one that goes on), or be one of several outputs, `(a, b)` after the flows"),
                        "note: a union of two branches of one stream is not supported: filter or map once in one flow instead".to_owned(),
                    ],
                );
            }
            if ends_in_sink(&ast.flows[i])
                && let Some(&reader) = rs.first()
            {
                let name = ast.flows[i].binding.as_ref().map(|(_, n)| n.to_string()).unwrap_or_default();
                cx.error_with(
                    ast.flows[reader].head_tokens(),
                    &format!("`{name}` ends in a sink, so it has no records for this flow to read"),
                    &[format!("help: remove the sink at the end of `{name}`, or read `{name}` from before it")],
                );
            }
            going_on.first().copied().or_else(|| rs.last().copied())
        })
        .collect()
}

/// Checks each flow's stages from what the stream it reads established.
fn check_flows<'a>(
    ast: &'a GraphAst,
    sources: &[Source],
    stages: &[Vec<Stage<'a>>],
    cx: &mut Ctxt,
) {
    let mut ends: Vec<Seen<'a>> = Vec::with_capacity(ast.flows.len());
    for (i, flow) in ast.flows.iter().enumerate() {
        let start = match &sources[i] {
            Source::Input => None,
            Source::Stream(j) => Some(ends[*j].read()),
            Source::Union(sides) => {
                let seen: Vec<Seen> = sides.iter().map(|&j| ends[j]).collect();
                match &flow.head {
                    HeadAst::Union(union) => Some(validate::after_union(&seen, union, cx)),
                    _ => None,
                }
            }
            Source::Join(join) => {
                let seen = join.sides.map(|j| ends[j]);
                let names = join.sides.map(|j| {
                    ast.flows[j]
                        .binding
                        .as_ref()
                        .map(|(_, n)| n.to_string())
                        .unwrap_or_default()
                });
                match &flow.head {
                    HeadAst::Union(head) => Some(validate::after_join(seen, names, head, cx)),
                    _ => None,
                }
            }
        };
        ends.push(validate::check_flow(start, &flow.body, &stages[i], cx));
    }
}

/// The plan of flow `i` and everything upstream of it, marking what it
/// reaches.
fn lower(
    ast: &GraphAst,
    sources: &[Source],
    readers: &[Vec<usize>],
    trunks: &[Option<usize>],
    stages: &[Vec<Stage>],
    split: &SplitPoint,
    visited: &mut [bool],
) -> syn::Result<Plan> {
    let (head, mut items) = chain(ast, sources, readers, trunks, stages, split.at, visited)?;
    if split.paths.len() > 1 {
        sides(ast, readers, trunks, stages, split.at, &mut items, visited);
        let mut branches = Vec::new();
        for path in &split.paths {
            let mut branch = Vec::new();
            for &f in path {
                visited[f] = true;
                branch.extend(stages[f].iter().map(Item::Stage));
                sides(ast, readers, trunks, stages, f, &mut branch, visited);
            }
            branches.push(branch);
        }
        items.push(Item::Split(branches));
    }
    plan::plan_flow(head, &items)
}

/// Flow `i`'s head and items: a stream it reads continues, with the side
/// branches of that stream at its end.
fn chain<'a>(
    ast: &GraphAst,
    sources: &[Source],
    readers: &[Vec<usize>],
    trunks: &[Option<usize>],
    stages: &'a [Vec<Stage<'a>>],
    i: usize,
    visited: &mut [bool],
) -> syn::Result<(Head, Vec<Item<'a>>)> {
    visited[i] = true;
    let (head, mut items) = match &sources[i] {
        Source::Input => {
            let source = ast.flows[i].body.source.clone().ok_or_else(|| {
                syn::Error::new(
                    ast.span,
                    "internal error in `stream!`: an input without a type",
                )
            })?;
            (Head::Source(source), Vec::new())
        }
        Source::Stream(j) => {
            let (head, mut items) = chain(ast, sources, readers, trunks, stages, *j, visited)?;
            sides(ast, readers, trunks, stages, *j, &mut items, visited);
            (head, items)
        }
        Source::Join(join) => {
            let mut plans = Vec::new();
            let mut keys = Vec::new();
            for &j in &join.sides {
                let (head, mut items) = chain(ast, sources, readers, trunks, stages, j, visited)?;
                sides(ast, readers, trunks, stages, j, &mut items, visited);
                // The side's last `key_by` is the join's exchange.
                let at = items
                    .iter()
                    .rposition(|item| matches!(item, Item::Stage(s) if s.op.route == Some(crate::ops::RouteKind::ByKey)))
                    .ok_or_else(|| syn::Error::new(join.name.span(), "internal error in `stream!`: a join side without `key_by`"))?;
                let Item::Stage(key_by) = items.remove(at) else {
                    return Err(syn::Error::new(
                        join.name.span(),
                        "internal error in `stream!`: a join side's key",
                    ));
                };
                keys.push(key_by.exprs().first().cloned().ok_or_else(|| {
                    syn::Error::new(
                        join.name.span(),
                        "internal error in `stream!`: a `key_by` without its closure",
                    )
                })?);
                plans.push(plan::plan_flow(head, &items)?);
            }
            let (Ok(sides), Ok(keys)) = (
                <[Plan; 2]>::try_from(plans),
                <[syn::Expr; 2]>::try_from(keys),
            ) else {
                return Err(syn::Error::new(
                    join.name.span(),
                    "internal error in `stream!`: a join of other than two sides",
                ));
            };
            (
                Head::Join(Box::new(JoinPlan {
                    name: join.name.clone(),
                    sides,
                    keys,
                    at: join.at,
                    build: join.build.clone(),
                    kind: join.kind.clone(),
                })),
                Vec::new(),
            )
        }
        Source::Union(sides_read) => {
            let mut plans = Vec::new();
            for &j in sides_read {
                let (head, mut items) = chain(ast, sources, readers, trunks, stages, j, visited)?;
                sides(ast, readers, trunks, stages, j, &mut items, visited);
                plans.push(plan::plan_flow(head, &items)?);
            }
            let (name, at) = match &ast.flows[i].head {
                HeadAst::Union(u) => (
                    u.name.clone(),
                    u.args
                        .iter()
                        .map(|a| {
                            a.to_token_stream()
                                .into_iter()
                                .next()
                                .map_or(u.name.span(), |t| t.span())
                        })
                        .collect(),
                ),
                _ => (syn::Ident::new("union", ast.span), Vec::new()),
            };
            (
                Head::Union {
                    name,
                    sides: plans,
                    at,
                },
                Vec::new(),
            )
        }
    };
    items.extend(stages[i].iter().map(Item::Stage));
    Ok((head, items))
}

/// Appends the side branches of flow `j` (its readers other than its
/// trunk) as tees.
fn sides<'a>(
    ast: &GraphAst,
    readers: &[Vec<usize>],
    trunks: &[Option<usize>],
    stages: &'a [Vec<Stage<'a>>],
    j: usize,
    items: &mut Vec<Item<'a>>,
    visited: &mut [bool],
) {
    for &r in &readers[j] {
        if Some(r) == trunks[j] || !is_side(ast, r) {
            continue;
        }
        visited[r] = true;
        let span = ast.flows[r]
            .body
            .stages
            .first()
            .map_or(ast.span, |s| s.name.span());
        items.push(Item::Tee(stages[r].iter().map(Item::Stage).collect(), span));
    }
}

/// The pipeline's input type for a stub: flow `i`'s, as the lowering would
/// make it (`Either<..>` for a union).
fn input_type(ast: &GraphAst, sources: &[Source], i: usize) -> Option<TokenStream> {
    match sources.get(i)? {
        Source::Input => ast.flows[i]
            .body
            .source
            .as_ref()
            .map(ToTokens::to_token_stream),
        Source::Stream(j) => input_type(ast, sources, *j),
        Source::Join(join) => {
            let [l, r] = join.sides.map(|j| input_type(ast, sources, j));
            let (l, r) = (l?, r?);
            Some(quote::quote!(::laminar::__private::Either<#l, #r>))
        }
        Source::Union(sides) => {
            let mut types = sides.iter().map(|&j| input_type(ast, sources, j));
            let mut acc = types.next()??;
            for t in types {
                let t = t?;
                acc = quote::quote!(::laminar::__private::Either<#acc, #t>);
            }
            Some(acc)
        }
    }
}
