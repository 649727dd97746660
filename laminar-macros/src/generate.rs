//! Turns a plan into code: a chain of calls on the runtime's typed builder,
//! each emitted under its stage's span so that rustc's errors land on the
//! user's stage. Generated code names the runtime only through
//! `::laminar::__private`, and its locals are hygienic (`mixed_site`), so
//! nothing the user names can collide with them.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::plan::{Plan, Routing};

/// The expression a valid pipeline expands to.
pub fn pipeline(plan: &Plan, describe: &str) -> TokenStream {
    // One hygienic name, re-located at each stage so that an error about
    // the receiver of a stage's call points at that stage.
    let local = |at: Span| Ident::new("__laminar_pipeline", Span::mixed_site().located_at(at));
    let source = &plan.source;
    let p = local(source.span());
    let mut body = quote_spanned! {source.span()=>
        let #p = ::laminar::__private::source::<#source>();
    };
    if let Routing::ByKey { key, name } = &plan.routing {
        let method = Ident::new("key_by", name.span());
        let p = local(name.span());
        body.extend(quote_spanned! {name.span()=>
            let #p = #p.#method(#key);
        });
    }
    for step in &plan.steps {
        let method = Ident::new(step.op.method, step.span());
        let args = &step.args;
        let p = local(step.span());
        body.extend(quote_spanned! {step.span()=>
            let #p = #p.#method(#(#args),*);
        });
    }
    let p = local(Span::call_site());
    quote! {{
        #body
        #p.build(#describe)
    }}
}

/// What a pipeline with errors expands to: the errors, and a pipeline of the
/// right input type so that rustc adds no errors of its own.
pub fn stub(source: Option<&syn::Type>, errors: TokenStream) -> TokenStream {
    let source = match source {
        Some(ty) => quote!(#ty),
        None => quote!(()),
    };
    quote! {{
        #errors
        ::laminar::__private::stub::<#source, _>()
    }}
}
