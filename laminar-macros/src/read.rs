//! Reads each stage's arguments once, into typed values, as serde's
//! `attr.rs` reads attributes: the operator table says what each argument
//! is, each is read where it is written (an error lands on its tokens), and
//! a named argument given twice is an error at the second. What is read here
//! is all that `validate` and `plan` look at; neither parses an argument
//! again.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Expr, Ident};

use crate::ast::{Arg, PipelineAst, StageAst};
use crate::ctxt::Ctxt;
use crate::ops::{self, ArgKind, NamedArg, OpSpec, Param, Positional};
use crate::suggest;
use crate::time::{self, AggCall, Dur, Emit, Shape};

/// A named argument's value, read by its kind.
#[derive(Clone, Debug)]
pub enum Value {
    /// A duration.
    Duration(Dur),
    /// An emit policy.
    Emit(Emit),
    /// An expression, such as a closure.
    Expr(Expr),
}

/// One named argument of a stage: unset, or set once, with the tokens of
/// where it was set. As serde's `Attr`.
pub struct Attr {
    /// Its row in the operator's table.
    pub spec: &'static NamedArg,
    value: Option<(TokenStream, Value)>,
}

impl Attr {
    fn none(spec: &'static NamedArg) -> Self {
        Attr { spec, value: None }
    }

    /// Sets the value; a second `set` is an error at `tokens`, the second
    /// occurrence, and the first value stays.
    fn set(&mut self, cx: &mut Ctxt, op: &OpSpec, tokens: TokenStream, value: Value) {
        match &self.value {
            Some((first, _)) => cx.error_with(
                tokens,
                &format!("duplicate argument `{}` in `{}`", self.spec.name, op.name),
                &[
                    format!("note: it is already given as `{first}`"),
                    "help: remove one of them".to_owned(),
                ],
            ),
            None => self.value = Some((tokens, value)),
        }
    }

    /// The value, if given.
    pub fn get(&self) -> Option<&Value> {
        self.value.as_ref().map(|(_, v)| v)
    }

    /// The tokens where it was given (`name = value`).
    pub fn tokens(&self) -> Option<&TokenStream> {
        self.value.as_ref().map(|(t, _)| t)
    }
}

/// A stage's positional arguments, read by the operator's kind.
pub enum Args {
    /// Expressions as written.
    Exprs(Vec<Expr>),
    /// A window shape.
    Shape(Shape),
    /// Aggregate calls.
    Aggregates(Vec<AggCall>),
    /// Not read: an error was reported.
    Unread,
}

/// A stage whose operator is known, with its arguments read.
pub struct Stage<'a> {
    /// The stage as written.
    pub ast: &'a StageAst,
    /// Its row in the operator table.
    pub op: &'static OpSpec,
    /// Its positional arguments.
    pub args: Args,
    /// Its named arguments: one per row of `op.named`, in order.
    pub named: Vec<Attr>,
}

impl Stage<'_> {
    /// The positional expressions (empty unless the operator takes
    /// expressions).
    pub fn exprs(&self) -> &[Expr] {
        match &self.args {
            Args::Exprs(e) => e,
            _ => &[],
        }
    }

    /// The named argument that gives `param`, if the operator has one.
    pub fn attr(&self, param: Param) -> Option<&Attr> {
        self.named.iter().find(|a| a.spec.param == param)
    }

    /// The duration given for `param`, if any.
    pub fn duration(&self, param: Param) -> Option<&Dur> {
        match self.attr(param)?.get()? {
            Value::Duration(d) => Some(d),
            _ => None,
        }
    }

    /// The emit policy given for `param`, if any.
    pub fn emit(&self, param: Param) -> Option<Emit> {
        match self.attr(param)?.get()? {
            Value::Emit(e) => Some(*e),
            _ => None,
        }
    }
}

/// Reads every stage of `ast`. Stages with an unknown operator are reported
/// and left out.
pub fn stages<'a>(ast: &'a PipelineAst, cx: &mut Ctxt) -> Vec<Stage<'a>> {
    ast.stages
        .iter()
        .filter_map(|stage| {
            let name = stage.name.to_string();
            match ops::lookup(&name) {
                Some(op) => Some(read(stage, op, cx)),
                None => {
                    unknown_operator(stage, &name, cx);
                    None
                }
            }
        })
        .collect()
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

fn read<'a>(stage: &'a StageAst, op: &'static OpSpec, cx: &mut Ctxt) -> Stage<'a> {
    let mut named: Vec<Attr> = op.named.iter().map(Attr::none).collect();
    let mut read = Stage {
        ast: stage,
        op,
        args: Args::Unread,
        named: Vec::new(),
    };
    if stage.paren.is_none() {
        cx.error_with(
            &stage.name,
            &format!("`{}` needs its arguments in parentheses", op.name),
            &[format!("help: write `{}`", op.usage)],
        );
        read.named = named;
        return read;
    }
    check_arity(stage, op, cx);
    let mut exprs = Vec::new();
    let mut shape = None;
    let mut unread = false;
    for arg in &stage.args {
        match arg {
            Arg::Positional(expr) => match op.positional {
                Positional::Exprs | Positional::Aggregates => exprs.push(expr.clone()),
                Positional::Shape => match time::shape(expr) {
                    Ok(s) => {
                        shape.get_or_insert(s);
                    }
                    Err(e) => {
                        cx.push(e);
                        unread = true;
                    }
                },
            },
            Arg::Named { name, value, .. } => {
                let text = name.to_string();
                match named.iter_mut().find(|a| a.spec.name == text) {
                    Some(attr) => {
                        if let Some(value) = read_value(attr.spec, value, cx) {
                            attr.set(cx, op, arg.to_token_stream(), value);
                        }
                    }
                    None => unknown_named(op, name, cx),
                }
            }
        }
    }
    read.args = match op.positional {
        _ if unread => Args::Unread,
        Positional::Exprs => Args::Exprs(exprs),
        Positional::Shape => shape.map_or(Args::Unread, Args::Shape),
        Positional::Aggregates => match time::aggregates(&exprs) {
            Ok(calls) => Args::Aggregates(calls),
            Err(errors) => {
                for e in errors {
                    cx.push(e);
                }
                Args::Unread
            }
        },
    };
    read.named = named;
    read
}

fn check_arity(stage: &StageAst, op: &OpSpec, cx: &mut Ctxt) {
    let positional = stage
        .args
        .iter()
        .filter(|a| matches!(a, Arg::Positional(_)))
        .count();
    let arity = op.arity;
    if positional < arity.min || positional > arity.max {
        let want = if arity.min == arity.max {
            format!(
                "{} argument{}",
                arity.min,
                if arity.min == 1 { "" } else { "s" }
            )
        } else {
            format!("{} to {} arguments", arity.min, arity.max)
        };
        cx.error_with(
            stage.args_tokens(),
            &format!(
                "`{}` takes {want}, but {positional} {} given",
                op.name,
                if positional == 1 { "was" } else { "were" }
            ),
            &[format!("help: write `{}`", op.usage)],
        );
    }
}

fn unknown_named(op: &OpSpec, name: &Ident, cx: &mut Ctxt) {
    let accepted = if op.named.is_empty() {
        format!("note: `{}` takes no named arguments", op.name)
    } else {
        let names: Vec<&str> = op.named.iter().map(|a| a.name).collect();
        format!("note: `{}` accepts: {}", op.name, names.join(", "))
    };
    cx.error_with(
        name,
        &format!("`{}` has no argument named `{name}`", op.name),
        &[accepted],
    );
}

/// Reads a named argument's value by its kind; `None` if an error was
/// reported.
fn read_value(spec: &'static NamedArg, value: &Expr, cx: &mut Ctxt) -> Option<Value> {
    let read = match spec.kind {
        ArgKind::Duration { zero } => {
            time::duration(value, zero, spec.name, &format!("`{}`", spec.name)).map(Value::Duration)
        }
        ArgKind::Emit => time::emit_policy(value).map(Value::Emit),
        ArgKind::Expr => Ok(Value::Expr(value.clone())),
    };
    read.map_err(|e| cx.push(e)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(src: &str) -> (usize, Vec<String>) {
        let ast: PipelineAst = syn::parse_str(src).unwrap_or_else(|e| panic!("{e}"));
        let mut cx = Ctxt::default();
        let n = stages(&ast, &mut cx).len();
        let errors = match cx.finish() {
            Ok(()) => Vec::new(),
            Err(es) => es.iter().map(ToString::to_string).collect(),
        };
        (n, errors)
    }

    #[test]
    fn named_arguments_become_typed_values() {
        let ast: PipelineAst = syn::parse_str(
            "u64 -> event_time(|x| *x, lateness = 2s, idle = IDLE) \
             -> window_all(tumbling(1s), emit = on_update)",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut cx = Ctxt::default();
        let stages = stages(&ast, &mut cx);
        assert!(cx.finish().is_ok());
        assert!(matches!(
            stages[0].duration(Param::Lateness),
            Some(Dur::Millis(2_000))
        ));
        assert!(matches!(
            stages[0].duration(Param::Idle),
            Some(Dur::Expr {
                what: "idle",
                zero: false,
                ..
            })
        ));
        assert_eq!(stages[1].emit(Param::Emit), Some(Emit::OnUpdate));
        assert!(matches!(&stages[1].args, Args::Shape(s) if s.spec.name == "tumbling"));
    }

    #[test]
    fn a_named_argument_given_twice_is_an_error_at_the_second() {
        let (_, es) = read_all("u64 -> event_time(|x| *x, lateness = 2s, lateness = 9s)");
        assert_eq!(es.len(), 1, "{es:#?}");
        assert!(es[0].contains("duplicate argument `lateness` in `event_time`"));
        assert!(es[0].contains("already given as `lateness = 2s`"));
        let (_, es) = read_all("u64 -> window(tumbling(1s), emit = on_update, emit = on_close)");
        assert_eq!(es.len(), 1, "{es:#?}");
        assert!(es[0].contains("duplicate argument `emit`"));
    }

    #[test]
    fn unknown_operators_are_reported_and_left_out() {
        let (n, es) = read_all("u64 -> mapp(|x| x) -> filter() -> map");
        assert_eq!(n, 2);
        assert_eq!(es.len(), 3, "{es:#?}");
        assert!(es[0].contains("did you mean `map`"));
        assert!(es[1].contains("takes 1 argument, but 0 were given"));
        assert!(es[2].contains("needs its arguments in parentheses"));
    }
}
