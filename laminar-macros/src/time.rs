//! The small languages inside window stages: durations (`10s`, `500ms`),
//! window shapes (`tumbling(10s)`), and aggregate calls (`max(|b| b.price)`).
//! Each reader returns a typed value or an error at the user's tokens, with
//! a line saying what to write instead.

use syn::{Expr, ExprCall, ExprLit, Ident, Lit};

use crate::ops::{AGGREGATES, UNITS, WINDOWS, WindowSpec};
use crate::suggest;

/// A duration as the user gave it.
#[derive(Clone, Debug)]
pub enum Dur {
    /// A literal with a unit, checked here: milliseconds.
    Millis(u64),
    /// An expression of type `std::time::Duration`, checked when the
    /// runtime is built.
    Expr {
        /// The expression.
        expr: Expr,
        /// Its name in the runtime's error (`"size"`, `"lateness"`).
        what: &'static str,
        /// Whether zero is allowed.
        zero: bool,
    },
}

/// A window shape read from `tumbling(10s)` and the like.
#[derive(Clone, Debug)]
pub struct Shape {
    /// Its row of the table.
    pub spec: &'static WindowSpec,
    /// Its durations, one per `spec.args`.
    pub durations: Vec<Dur>,
}

/// When a window emits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Emit {
    /// When it closes.
    #[default]
    OnClose,
    /// After every event.
    OnUpdate,
}

/// One aggregate inside `aggregate(...)`.
#[derive(Clone)]
pub enum AggCall {
    /// A built-in, such as `count()` or `max(f)`.
    Builtin {
        /// Its name, with the user's span.
        name: Ident,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// A user's own `Aggregate` value.
    Custom(Expr),
}

fn units() -> String {
    UNITS
        .iter()
        .map(|(u, _)| format!("`10{u}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a duration: a literal such as `10s`, checked here, or any other
/// expression, taken as a `std::time::Duration` and checked when the
/// runtime is built. `zero` is for lateness, where zero means none;
/// `what` names the duration (`"size"`, `"lateness"`); `message` names it
/// in messages.
pub fn duration(expr: &Expr, zero: bool, what: &'static str, message: &str) -> syn::Result<Dur> {
    let lit = match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        }) => lit,
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => {
            return Err(syn::Error::new_spanned(
                f,
                format!(
                    "a duration is a whole number with a unit\nhelp: use a smaller unit instead of a fraction: {}",
                    units()
                ),
            ));
        }
        Expr::Lit(_) => {
            return Err(syn::Error::new_spanned(
                expr,
                format!(
                    "expected a duration\nhelp: write it with a unit: {}, or give a `std::time::Duration`",
                    units()
                ),
            ));
        }
        _ => {
            return Ok(Dur::Expr {
                expr: expr.clone(),
                what,
                zero,
            });
        }
    };
    let suffix = lit.suffix();
    if suffix.is_empty() {
        let n = lit.base10_digits();
        let with_units = UNITS
            .iter()
            .map(|(u, _)| format!("`{n}{u}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(syn::Error::new_spanned(
            lit,
            format!(
                "a duration needs a unit: `{n}` alone could mean anything\nhelp: write {with_units}"
            ),
        ));
    }
    let Some(&(_, scale)) = UNITS.iter().find(|(u, _)| *u == suffix) else {
        return Err(syn::Error::new_spanned(
            lit,
            format!(
                "unknown duration unit `{suffix}`\nhelp: the units are {}",
                units()
            ),
        ));
    };
    let n: u64 = lit.base10_parse()?;
    if n == 0 && !zero {
        return Err(syn::Error::new_spanned(
            lit,
            format!(
                "{message} must be greater than zero\nhelp: the smallest is `1ms`; for example `10s`"
            ),
        ));
    }
    n.checked_mul(scale).map(Dur::Millis).ok_or_else(|| {
        syn::Error::new_spanned(lit, "this duration does not fit in u64 milliseconds")
    })
}

/// The name of a call such as `tumbling(..)`, if it is a plain identifier.
fn call_name(call: &ExprCall) -> Option<&Ident> {
    match &*call.func {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        _ => None,
    }
}

/// Reads `tumbling(size)`, `sliding(size, slide)` or `session(gap)`.
pub fn shape(expr: &Expr) -> syn::Result<Shape> {
    let shapes = WINDOWS
        .iter()
        .map(|w| w.usage)
        .collect::<Vec<_>>()
        .join(", ");
    let Expr::Call(call) = expr else {
        return Err(syn::Error::new_spanned(
            expr,
            format!("expected a window shape\nhelp: write one of {shapes}"),
        ));
    };
    let Some(name) = call_name(call) else {
        return Err(syn::Error::new_spanned(
            &call.func,
            format!("expected a window shape\nhelp: write one of {shapes}"),
        ));
    };
    let text = name.to_string();
    let Some(spec) = WINDOWS.iter().find(|w| w.name == text) else {
        let hint = suggest::nearest(&text, WINDOWS.iter().map(|w| w.name))
            .map(|n| format!("\nhelp: did you mean `{n}`?"))
            .unwrap_or_default();
        return Err(syn::Error::new_spanned(
            name,
            format!("unknown window shape `{text}`{hint}\nnote: the shapes are {shapes}"),
        ));
    };
    if call.args.len() != spec.args.len() {
        return Err(syn::Error::new(
            call.paren_token.span.join(),
            format!(
                "`{}` takes {} argument{} ({}), but {} {} given\nhelp: write `{}`",
                spec.name,
                spec.args.len(),
                if spec.args.len() == 1 { "" } else { "s" },
                spec.args.join(", "),
                call.args.len(),
                if call.args.len() == 1 { "was" } else { "were" },
                spec.usage
            ),
        ));
    }
    let durations: Vec<Dur> = call
        .args
        .iter()
        .zip(spec.args)
        .map(|(a, what)| duration(a, false, what, &format!("a window's {what}")))
        .collect::<syn::Result<_>>()?;
    if let Some((size, slide)) = spec.within
        && let (Some(Dur::Millis(size_ms)), Some(Dur::Millis(slide_ms))) =
            (durations.get(size), durations.get(slide))
        && slide_ms > size_ms
        && let (Some(size), Some(slide)) = (call.args.get(size), call.args.get(slide))
    {
        let text = |e: &Expr| quote::ToTokens::to_token_stream(e).to_string();
        return Err(syn::Error::new_spanned(
            slide,
            format!(
                "a sliding window's slide (`{}`) must not exceed its size (`{}`): events between windows would belong to none\nhelp: the size comes first: did you mean `{}({}, {})`?",
                text(slide),
                text(size),
                spec.name,
                text(slide),
                text(size),
            ),
        ));
    }
    Ok(Shape { spec, durations })
}

/// Reads the arguments of `aggregate(...)`.
pub fn aggregates<'a>(
    args: impl IntoIterator<Item = &'a Expr>,
) -> Result<Vec<AggCall>, Vec<syn::Error>> {
    let mut calls = Vec::new();
    let mut errors = Vec::new();
    for expr in args {
        let builtin = match expr {
            Expr::Call(call) => call_name(call).and_then(|name| {
                let text = name.to_string();
                AGGREGATES
                    .iter()
                    .find(|a| a.name == text)
                    .map(|spec| (name, spec, call))
            }),
            _ => None,
        };
        match builtin {
            Some((name, spec, call)) if call.args.len() != spec.args => {
                errors.push(syn::Error::new_spanned(
                    call,
                    format!(
                        "`{}` takes {} argument{}, but {} {} given\nhelp: write `{}`{}",
                        spec.name,
                        spec.args,
                        if spec.args == 1 { "" } else { "s" },
                        call.args.len(),
                        if call.args.len() == 1 { "was" } else { "were" },
                        spec.usage,
                        if spec.name == "count" {
                            "; to count only some events, `filter` them before the window"
                        } else {
                            ""
                        }
                    ),
                ));
                let _ = name;
            }
            Some((name, _, call)) => calls.push(AggCall::Builtin {
                name: name.clone(),
                args: call.args.iter().cloned().collect(),
            }),
            None => calls.push(AggCall::Custom(expr.clone())),
        }
    }
    if errors.is_empty() {
        Ok(calls)
    } else {
        Err(errors)
    }
}

/// Reads `emit = on_close` or `emit = on_update`.
pub fn emit_policy(expr: &Expr) -> syn::Result<Emit> {
    match expr {
        Expr::Path(p) if p.path.is_ident("on_close") => Ok(Emit::OnClose),
        Expr::Path(p) if p.path.is_ident("on_update") => Ok(Emit::OnUpdate),
        _ => Err(syn::Error::new_spanned(
            expr,
            "expected `on_close` or `on_update`\nhelp: `emit = on_close` fires each window once, when it closes (the default); `emit = on_update` fires after every event",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> Expr {
        syn::parse_str(s).unwrap()
    }

    fn ms(expr: &str, zero: bool) -> Option<u64> {
        match duration(&e(expr), zero, "x", "x") {
            Ok(Dur::Millis(ms)) => Some(ms),
            _ => None,
        }
    }

    fn err(expr: &str, zero: bool) -> String {
        duration(&e(expr), zero, "x", "x")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn durations() {
        assert_eq!(ms("10s", false), Some(10_000));
        assert_eq!(ms("250ms", false), Some(250));
        assert_eq!(ms("2min", false), Some(120_000));
        assert_eq!(ms("1h", false), Some(3_600_000));
        assert_eq!(ms("0s", true), Some(0));
        assert!(err("0s", false).contains("greater than zero"));
        assert!(err("10", false).contains("needs a unit"));
        assert!(err("10d", false).contains("unknown duration unit"));
        assert!(err("1.5s", false).contains("whole number"));
        assert!(err("\"10s\"", false).contains("expected a duration"));
    }

    #[test]
    fn expressions_are_checked_at_build() {
        for expr in ["cfg.window", "LATENESS", "Duration::from_secs(n)", "-1"] {
            let read = duration(&e(expr), false, "size", "a window's size");
            assert!(
                matches!(
                    read,
                    Ok(Dur::Expr {
                        what: "size",
                        zero: false,
                        ..
                    })
                ),
                "{expr}"
            );
        }
    }

    fn millis(shape: &Shape) -> Vec<Option<u64>> {
        shape
            .durations
            .iter()
            .map(|d| match d {
                Dur::Millis(ms) => Some(*ms),
                Dur::Expr { .. } => None,
            })
            .collect()
    }

    #[test]
    fn shapes() {
        let read = |s: &str| shape(&e(s)).map_err(|e| e.to_string());
        let ok = |s: &str| read(s).map(|sh| (sh.spec.name, millis(&sh)));
        assert_eq!(ok("tumbling(10s)"), Ok(("tumbling", vec![Some(10_000)])));
        assert_eq!(
            ok("sliding(10s, 2s)"),
            Ok(("sliding", vec![Some(10_000), Some(2_000)]))
        );
        assert_eq!(ok("session(30s)"), Ok(("session", vec![Some(30_000)])));
        assert_eq!(
            ok("sliding(cfg.size, 2s)"),
            Ok(("sliding", vec![None, Some(2_000)]))
        );
        let err = |s: &str| read(s).err().unwrap_or_default();
        assert!(err("sliding(2s, 10s)").contains("must not exceed"));
        assert!(err("tumblin(10s)").contains("did you mean `tumbling`"));
        assert!(err("tumbling(10s, 1s)").contains("takes 1"));
    }

    #[test]
    fn aggregate_calls() {
        let args: Vec<Expr> = vec![e("count()"), e("max(|b| b.price)"), e("MyAgg::new()")];
        let calls = aggregates(&args).unwrap_or_else(|_| panic!("valid"));
        assert!(
            matches!(&calls[0], AggCall::Builtin { name, args } if name == "count" && args.is_empty())
        );
        assert!(
            matches!(&calls[1], AggCall::Builtin { name, args } if name == "max" && args.len() == 1)
        );
        assert!(matches!(&calls[2], AggCall::Custom(_)));
        let bad = vec![e("count(|x| x)")];
        assert!(aggregates(&bad).is_err());
    }
}
