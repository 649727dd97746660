//! Turns a plan into code: a chain of calls on the runtime's typed builder,
//! each emitted under its stage's span so that rustc's errors land on the
//! user's stage. Generated code names the runtime only through
//! `::laminar::__private`, and its locals are hygienic (`mixed_site`), so
//! nothing the user names can collide with them.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::plan::{Clock, Plan, Routing, Step, WindowPlan};
use crate::time::{AggCall, Shape};

/// One hygienic name, re-located at each stage so that an error about the
/// receiver of a stage's call points at that stage.
fn local(at: Span) -> Ident {
    Ident::new("__laminar_pipeline", Span::mixed_site().located_at(at))
}

/// The expression a valid pipeline expands to.
pub fn pipeline(plan: &Plan, describe: &str) -> TokenStream {
    let source = &plan.source;
    let p = local(source.span());
    let mut body = quote_spanned! {source.span()=>
        let #p = ::laminar::__private::source::<#source>();
    };
    match &plan.clock {
        Clock::None => {}
        Clock::Event {
            extractor,
            lateness,
            idle,
            name,
        } => {
            let p = local(name.span());
            let method = Ident::new("event_time", name.span());
            let idle = match idle {
                Some(ms) => quote!(::core::option::Option::Some(#ms)),
                None => quote!(::core::option::Option::None),
            };
            body.extend(quote_spanned! {name.span()=>
                let #p = #p.#method(#extractor, #lateness, #idle);
            });
        }
        Clock::Processing { name } => {
            let p = local(name.span());
            let method = Ident::new("processing_time", name.span());
            body.extend(quote_spanned! {name.span()=>
                let #p = #p.#method();
            });
        }
    }
    match &plan.routing {
        Routing::ByKey { key, name } => {
            let method = Ident::new("key_by", name.span());
            let p = local(name.span());
            body.extend(quote_spanned! {name.span()=>
                let #p = #p.#method(#key);
            });
        }
        Routing::ToOne => {
            let p = local(Span::call_site());
            body.extend(quote! { let #p = #p.all_to_one(); });
        }
        Routing::RoundRobin => {}
    }
    for step in &plan.steps {
        let p = local(step.span());
        body.extend(match step {
            Step::Stage { op, name, args } => {
                let method = Ident::new(op.method, name.span());
                quote_spanned! {name.span()=>
                    let #p = #p.#method(#(#args),*);
                }
            }
            Step::Window(w) => window(&p, w),
            Step::Stateful {
                op,
                name,
                args,
                on_timer,
                state_name,
            } => {
                let (method, timer) = match on_timer {
                    Some(g) => ("process_timers", Some(g)),
                    None => (op.method, None),
                };
                let method = Ident::new(method, name.span());
                let timer = timer.map(|g| quote!(, #g));
                quote_spanned! {name.span()=>
                    let #p = #p.#method(#state_name, #(#args),* #timer);
                }
            }
        });
    }
    let last = plan
        .steps
        .last()
        .map(|s| s.span())
        .unwrap_or_else(Span::call_site);
    let p = local(last);
    quote_spanned! {last=> {
        #body
        #p.build(#describe)
    }}
}

fn window(p: &Ident, w: &WindowPlan) -> TokenStream {
    let aggs = local(w.aggregate.span());
    let aggs = Ident::new("__laminar_aggs", aggs.span());
    let calls: Vec<TokenStream> = w
        .aggs
        .iter()
        .map(|a| match a {
            // Path calls, not method calls on the (mixed-site) local: rustc
            // spans a method call from its receiver, and a span joined across
            // two hygiene contexts widens to the whole macro call.
            AggCall::Builtin { name, args } => {
                quote_spanned! {name.span()=> ::laminar::__private::Aggs::#name(&#aggs, #(#args),*) }
            }
            AggCall::Custom(expr) => {
                quote_spanned! {expr.span()=> ::laminar::__private::Aggs::custom(&#aggs, #expr) }
            }
        })
        .collect();
    // Every token of the window's call carries the `aggregate` stage's span,
    // none the macro's call site: rustc underlines an expression from its
    // first token to its last, so one call-site token would stretch a type
    // error in this call over the whole `stream!` invocation.
    let span = w.aggregate.span();
    let ms = |v: u64| {
        let mut lit = Literal::u64_suffixed(v);
        lit.set_span(span);
        lit
    };
    let lateness = ms(w.allowed_lateness);
    let emit = if w.on_update {
        quote_spanned!(span=> ::laminar::__private::EmitPolicy::OnUpdate)
    } else {
        quote_spanned!(span=> ::laminar::__private::EmitPolicy::OnClose)
    };
    let made = if calls.len() == 1 {
        calls[0].clone()
    } else {
        quote_spanned!(span=> (#(#calls,)*))
    };
    match w.shape {
        Shape::Aligned { size, slide } => {
            let (size, slide) = (ms(size), ms(slide));
            let method = Ident::new("aligned_window", w.name.span());
            quote_spanned! {span=>
                let #aggs = #p.aggs();
                let #p = #p.#method(#size, #slide, #lateness, #emit, #made);
            }
        }
        Shape::Session { gap } => {
            let gap = ms(gap);
            let method = Ident::new("session_window", w.name.span());
            quote_spanned! {span=>
                let #aggs = #p.aggs();
                let #p = #p.#method(#gap, #lateness, #emit, #made);
            }
        }
    }
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
