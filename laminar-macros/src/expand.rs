//! The macro's pipeline: parse → validate → plan → generate.

use proc_macro2::TokenStream;

use crate::ast::PipelineAst;
use crate::ctxt::{Ctxt, to_compile_errors};
use crate::{describe, generate, plan, validate};

/// Expands the body of `stream! { ... }`.
pub fn stream(input: TokenStream) -> TokenStream {
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
    validate::check(&ast, &mut cx);
    if let Err(errors) = cx.finish() {
        return generate::stub(ast.source.as_ref(), to_compile_errors(errors));
    }
    let plan = plan::plan(ast);
    let chart = describe::mermaid(&plan);
    generate::pipeline(&plan, &chart)
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
    fn parse_errors_keep_the_source_type_for_the_stub() {
        let out = stream(quote::quote!(u64 -> map(|x| x) map(|x| x))).to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("stub :: < u64 , _ >"), "{out}");
    }
}
