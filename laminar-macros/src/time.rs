//! The small languages inside window stages: durations (`10s`, `500ms`),
//! window shapes (`tumbling(10s)`), and aggregate calls (`max(|b| b.price)`).
//! Each reader returns a typed value or an error at the user's tokens, with
//! a line saying what to write instead.

use syn::{Expr, ExprCall, ExprLit, Ident, Lit};

use crate::ops::{AGGREGATES, UNITS, WINDOWS};
use crate::suggest;

/// A window's shape, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Tumbling (`slide == size`) or sliding.
    Aligned {
        /// Length.
        size: u64,
        /// Distance between starts.
        slide: u64,
    },
    /// Closes after `gap` without events.
    Session {
        /// The gap.
        gap: u64,
    },
}

/// One aggregate inside `aggregate(...)`.
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

/// Reads a duration literal such as `10s` into milliseconds. `allow_zero`
/// is for lateness, where zero means none; `what` names the duration in
/// messages.
pub fn duration(expr: &Expr, allow_zero: bool, what: &str) -> syn::Result<u64> {
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
        _ => {
            return Err(syn::Error::new_spanned(
                expr,
                format!(
                    "expected a duration literal\nhelp: write it with a unit: {}",
                    units()
                ),
            ));
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
    if n == 0 && !allow_zero {
        return Err(syn::Error::new_spanned(
            lit,
            format!(
                "{what} must be greater than zero\nhelp: the smallest is `1ms`; for example `10s`"
            ),
        ));
    }
    n.checked_mul(scale).ok_or_else(|| {
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
    let d: Vec<u64> = call
        .args
        .iter()
        .zip(spec.args)
        .map(|(a, what)| duration(a, false, &format!("a window's {what}")))
        .collect::<syn::Result<_>>()?;
    Ok(match spec.name {
        "tumbling" => Shape::Aligned {
            size: d[0],
            slide: d[0],
        },
        "sliding" => {
            if d[1] > d[0] {
                let (size, slide) = (&call.args[0], &call.args[1]);
                return Err(syn::Error::new_spanned(
                    slide,
                    format!(
                        "a sliding window's slide (`{}`) must not exceed its size (`{}`): events between windows would belong to none\nhelp: the size comes first: did you mean `sliding({}, {})`?",
                        quote::ToTokens::to_token_stream(slide),
                        quote::ToTokens::to_token_stream(size),
                        quote::ToTokens::to_token_stream(slide),
                        quote::ToTokens::to_token_stream(size),
                    ),
                ));
            }
            Shape::Aligned {
                size: d[0],
                slide: d[1],
            }
        }
        _ => Shape::Session { gap: d[0] },
    })
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

/// Reads `emit = on_close` or `emit = on_update`; true for `on_update`.
pub fn emit_policy(expr: &Expr) -> syn::Result<bool> {
    match expr {
        Expr::Path(p) if p.path.is_ident("on_close") => Ok(false),
        Expr::Path(p) if p.path.is_ident("on_update") => Ok(true),
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

    #[test]
    fn durations() {
        assert_eq!(duration(&e("10s"), false, "x").unwrap(), 10_000);
        assert_eq!(duration(&e("250ms"), false, "x").unwrap(), 250);
        assert_eq!(duration(&e("2min"), false, "x").unwrap(), 120_000);
        assert_eq!(duration(&e("1h"), false, "x").unwrap(), 3_600_000);
        assert_eq!(duration(&e("0s"), true, "x").unwrap(), 0);
        assert!(
            duration(&e("0s"), false, "x")
                .unwrap_err()
                .to_string()
                .contains("greater than zero")
        );
        assert!(
            duration(&e("10"), false, "x")
                .unwrap_err()
                .to_string()
                .contains("needs a unit")
        );
        assert!(
            duration(&e("10d"), false, "x")
                .unwrap_err()
                .to_string()
                .contains("unknown duration unit")
        );
        assert!(duration(&e("1.5s"), false, "x").is_err());
    }

    #[test]
    fn shapes() {
        assert_eq!(
            shape(&e("tumbling(10s)")).unwrap(),
            Shape::Aligned {
                size: 10_000,
                slide: 10_000
            }
        );
        assert_eq!(
            shape(&e("sliding(10s, 2s)")).unwrap(),
            Shape::Aligned {
                size: 10_000,
                slide: 2_000
            }
        );
        assert_eq!(
            shape(&e("session(30s)")).unwrap(),
            Shape::Session { gap: 30_000 }
        );
        assert!(
            shape(&e("sliding(2s, 10s)"))
                .unwrap_err()
                .to_string()
                .contains("must not exceed")
        );
        assert!(
            shape(&e("tumblin(10s)"))
                .unwrap_err()
                .to_string()
                .contains("did you mean `tumbling`")
        );
        assert!(
            shape(&e("tumbling(10s, 1s)"))
                .unwrap_err()
                .to_string()
                .contains("takes 1")
        );
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
