//! Turns a plan into code: a chain of calls on the runtime's typed builder,
//! each emitted under its stage's span so that rustc's errors land on the
//! user's stage. Generated code names the runtime only through
//! `::laminar::__private`, and its locals are hygienic (`mixed_site`), so
//! nothing the user names can collide with them.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::plan::{Clock, Plan, Routing, Step, WindowPlan};
use crate::time::{AggCall, Dur, Emit};

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
            method,
            extractor,
            lateness,
            idle,
            name,
            label,
        } => {
            let span = name.span();
            let p = local(span);
            let method = Ident::new(method, span);
            let mut check = Check::new(label, span);
            let lateness = check.millis(lateness, |ms| quote!(#ms));
            let idle = match idle {
                Some(d) => {
                    let ms = check.millis(d, |ms| quote!(#ms));
                    quote!(::core::option::Option::Some(#ms))
                }
                None => quote!(::core::option::Option::None),
            };
            let (open, close) = check.finish(&p);
            body.extend(quote_spanned! {span=>
                #open
                let #p = #p.#method(#extractor, #lateness, #idle);
                #close
            });
        }
        Clock::Processing { method, name } => {
            let p = local(name.span());
            let method = Ident::new(method, name.span());
            body.extend(quote_spanned! {name.span()=>
                let #p = #p.#method();
            });
        }
    }
    match &plan.routing {
        Routing::ByKey { method, key, name } => {
            let method = Ident::new(method, name.span());
            let p = local(name.span());
            body.extend(quote_spanned! {name.span()=>
                let #p = #p.#method(#key);
            });
        }
        Routing::ToOne { method } => {
            let p = local(Span::call_site());
            let method = Ident::new(method, Span::call_site());
            body.extend(quote! { let #p = #p.#method(); });
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
                method,
                name,
                args,
                extra,
                state_name,
                ..
            } => {
                let method = Ident::new(method, name.span());
                let args = args.iter().chain(extra);
                quote_spanned! {name.span()=>
                    let #p = #p.#method(#state_name, #(#args),*);
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
    let mut check = Check::new(&crate::describe::tidy_text(&w.labels.0), span);
    let durations: Vec<TokenStream> = w
        .shape
        .durations
        .iter()
        .map(|d| check.millis(d, |v| ms(v).into_token_stream()))
        .collect();
    let lateness = check.millis(&w.allowed_lateness, |v| ms(v).into_token_stream());
    let emit = match w.emit {
        Emit::OnUpdate => quote_spanned!(span=> ::laminar::__private::EmitPolicy::OnUpdate),
        Emit::OnClose => quote_spanned!(span=> ::laminar::__private::EmitPolicy::OnClose),
    };
    let made = if calls.len() == 1 {
        calls[0].clone()
    } else {
        quote_spanned!(span=> (#(#calls,)*))
    };
    let method = Ident::new(w.shape.spec.method, w.name.span());
    if !check.used {
        // Literals only: constants, and a window's size and slide are its
        // geometry's type, so that its arithmetic divides by constants.
        let passed: Vec<&TokenStream> = w
            .shape
            .spec
            .pass
            .iter()
            .filter_map(|&i| durations.get(i))
            .collect();
        let passed = if w.shape.spec.geometry {
            vec![quote_spanned!(span=> ::laminar::__private::Fixed::<#(#passed),*>)]
        } else {
            passed.into_iter().cloned().collect()
        };
        return quote_spanned! {span=>
            let #aggs = #p.aggs();
            let #p = #p.#method(#(#passed,)* #lateness, #emit, #made);
        };
    }
    // Some duration is an expression: each is bound once, checked, and the
    // first problem kept for `RuntimeBuilder::build`.
    let names: Vec<Ident> = (0..durations.len())
        .map(|i| {
            Ident::new(
                &format!("__laminar_d{i}"),
                Span::mixed_site().located_at(span),
            )
        })
        .collect();
    let c = check.ident.clone();
    let within = w.shape.spec.within.and_then(|(size, slide)| {
        let (size, slide) = (names.get(size)?, names.get(slide)?);
        Some(quote_spanned!(span=> #c.slide_within(#size, #slide);))
    });
    let passed: Vec<TokenStream> = w
        .shape
        .spec
        .pass
        .iter()
        .filter_map(|&i| names.get(i))
        .map(ToTokens::to_token_stream)
        .collect();
    let passed = if w.shape.spec.geometry {
        vec![quote_spanned!(span=> ::laminar::__private::Dynamic::new(#(#passed),*))]
    } else {
        passed
    };
    let late = Ident::new("__laminar_late", Span::mixed_site().located_at(span));
    let (open, close) = check.finish(p);
    quote_spanned! {span=>
        #open
        #(let #names = #durations;)*
        let #late = #lateness;
        #within
        #close
        let #aggs = #p.aggs();
        let #p = #p.#method(#(#passed,)* #late, #emit, #made);
    }
}

/// The durations of one stage: a literal is a constant; an expression is
/// converted by a `DurationCheck`, whose first problem the builder keeps
/// for `RuntimeBuilder::build`.
struct Check {
    label: String,
    ident: Ident,
    span: Span,
    used: bool,
}

impl Check {
    fn new(label: &str, span: Span) -> Self {
        Check {
            label: label.to_owned(),
            ident: Ident::new("__laminar_check", Span::mixed_site().located_at(span)),
            span,
            used: false,
        }
    }

    /// The milliseconds of `d`: `literal(ms)` for a literal, else a checked
    /// conversion of the expression, under the expression's span.
    fn millis(&mut self, d: &Dur, literal: impl Fn(u64) -> TokenStream) -> TokenStream {
        match d {
            Dur::Millis(ms) => literal(*ms),
            Dur::Expr { expr, what, zero } => {
                self.used = true;
                let c = &self.ident;
                quote_spanned! {expr.span()=> #c.millis(#what, #expr, #zero) }
            }
        }
    }

    /// What goes before the stage's call (the check) and after it (handing
    /// the check to the builder); nothing if every duration was a literal.
    fn finish(&self, p: &Ident) -> (TokenStream, TokenStream) {
        if !self.used {
            return (TokenStream::new(), TokenStream::new());
        }
        let (c, label, span) = (&self.ident, &self.label, self.span);
        (
            quote_spanned! {span=>
                let mut #c = ::laminar::__private::DurationCheck::new(#label);
            },
            quote_spanned! {span=>
                let #p = #p.check_durations(#c);
            },
        )
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
