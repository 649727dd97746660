//! The macro's pipeline: parse → validate → plan → generate.

use proc_macro2::TokenStream;

use crate::ast::PipelineAst;
use crate::ctxt::{Ctxt, to_compile_errors};
use crate::{describe, generate, plan, read, validate};

/// Expands the body of `stream! { ... }`.
pub fn stream(input: TokenStream) -> TokenStream {
    if crate::ast::is_graph(&input) {
        return match syn::parse2::<crate::ast::GraphAst>(input) {
            Ok(graph) => crate::graph::expand(&graph),
            Err(e) => generate::stub_typed(None, e.to_compile_error()),
        };
    }
    let ast: PipelineAst = match syn::parse2(input.clone()) {
        Ok(ast) => ast,
        Err(e) => {
            // Keep the source type for the stub if it parses on its own.
            let source = syn::parse::Parser::parse2(leading_type, input)
                .ok()
                .flatten();
            return generate::stub(source.as_ref(), e.to_compile_error());
        }
    };
    let mut cx = Ctxt::default();
    let stages = read::stages(&ast, &mut cx);
    validate::check(&ast, &stages, &mut cx);
    let checked = cx.finish().and_then(|()| {
        let source = ast.source.clone().ok_or_else(|| {
            vec![syn::Error::new(
                ast.span,
                "internal error in `stream!`: no source type",
            )]
        })?;
        plan::plan(source, &stages).map_err(|e| vec![e])
    });
    match checked {
        Ok(plan) => {
            let chart = describe::mermaid(&plan);
            generate::pipeline(&plan, &chart)
        }
        Err(errors) => generate::stub(ast.source.as_ref(), to_compile_errors(errors)),
    }
}

fn leading_type(input: syn::parse::ParseStream) -> syn::Result<Option<syn::Type>> {
    let ty = input.parse::<syn::Type>().ok();
    // The rest is what failed to parse; it is reported already.
    input.step(|cursor| {
        let mut c = *cursor;
        while let Some((_, next)) = c.token_tree() {
            c = next;
        }
        Ok(((), c))
    })?;
    Ok(ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_pipeline_expands_to_builder_calls() {
        let out = stream(quote::quote!(u64 -> key_by(|x| *x) -> map(|x| x + 1))).to_string();
        assert!(
            out.contains(":: laminar :: __private :: source :: < u64 >"),
            "{out}"
        );
        assert!(out.contains(". key_by (| x | * x)"), "{out}");
        assert!(out.contains(". map (| x | x + 1)"), "{out}");
        assert!(out.contains(". build (\"flowchart LR"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn errors_come_with_a_typed_stub() {
        let out = stream(quote::quote!(u64 -> mapp(|x| x) -> fliter(|x| true))).to_string();
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
        assert!(out.contains("__private :: stub :: < u64 , _ >"), "{out}");
    }

    #[test]
    fn literal_durations_are_constants() {
        let out = stream(quote::quote!(
            u64 -> event_time(|x| *x, lateness = 2s) -> key_by(|x| *x)
                -> window(sliding(10s, 2s)) -> aggregate(count())
        ))
        .to_string();
        assert!(
            out.contains("(| x | * x , 2000u64 , :: core :: option :: Option :: None)"),
            "{out}"
        );
        assert!(
            out.contains(
                "aligned_window (:: laminar :: __private :: Fixed :: < 10000u64 , 2000u64 > , 0u64 ,"
            ),
            "{out}"
        );
        assert!(!out.contains("DurationCheck"), "{out}");
        assert!(!out.contains("check_durations"), "{out}");
    }

    #[test]
    fn expression_durations_are_checked_at_build() {
        let out = stream(quote::quote!(
            Bid -> event_time(|e| e.at, lateness = LATENESS) -> key_by(|e| e.key)
                -> window(sliding(cfg.size, 2s)) -> aggregate(count())
        ))
        .to_string();
        assert_eq!(out.matches("DurationCheck :: new").count(), 2, "{out}");
        assert!(
            out.contains("DurationCheck :: new (\"event_time(|e| e.at, lateness = LATENESS)\")"),
            "{out}"
        );
        assert!(
            out.contains("DurationCheck :: new (\"window(sliding(cfg.size, 2s))\")"),
            "{out}"
        );
        assert!(
            out.contains(". millis (\"lateness\" , LATENESS , true)"),
            "{out}"
        );
        assert!(
            out.contains(". millis (\"size\" , cfg . size , false)"),
            "{out}"
        );
        assert!(out.contains(". slide_within ("), "{out}");
        assert!(
            out.contains("aligned_window (:: laminar :: __private :: Dynamic :: new ("),
            "{out}"
        );
        assert_eq!(out.matches(". check_durations (").count(), 2, "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn parse_errors_keep_the_source_type_for_the_stub() {
        let out = stream(quote::quote!(u64 -> map(|x| x) map(|x| x))).to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("stub :: < u64 , _ >"), "{out}");
    }
}
