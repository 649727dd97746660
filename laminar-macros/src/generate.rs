//! Turns a plan into code: a chain of calls on the runtime's typed builder,
//! each emitted under its stage's span so that rustc's errors land on the
//! user's stage. Generated code names the runtime only through
//! `::laminar::__private`, and its locals are hygienic (`mixed_site`), so
//! nothing the user names can collide with them.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::plan::{Clock, Head, JoinKind, JoinPlan, Plan, Routing, Step, WindowPlan};
use crate::time::{AggCall, Dur, Emit};

/// One hygienic name, re-located at each stage so that an error about the
/// receiver of a stage's call points at that stage.
fn local(at: Span) -> Ident {
    Ident::new("__laminar_pipeline", Span::mixed_site().located_at(at))
}

/// The expression a valid pipeline expands to.
pub fn pipeline(plan: &Plan, describe: &str) -> TokenStream {
    let body = flow(plan);
    let last = plan
        .steps
        .last()
        .map(|s| s.span())
        .unwrap_or_else(|| head_span(plan));
    let p = local(last);
    quote_spanned! {last=> {
        #body
        #p.build(#describe)
    }}
}

/// Where a flow's head is written.
fn head_span(plan: &Plan) -> Span {
    match &plan.head {
        Head::Source(source) => source.span(),
        Head::Union { name, .. } => name.span(),
        Head::Join(join) => join.name.span(),
        Head::Fork => Span::call_site(),
    }
}

/// The statements that leave the builder of `plan`'s flow in the local.
fn flow(plan: &Plan) -> TokenStream {
    let mut body = match &plan.head {
        Head::Source(source) => {
            let p = local(source.span());
            quote_spanned! {source.span()=>
                let #p = ::laminar::__private::source::<#source>();
            }
        }
        Head::Union { name, sides, at } => {
            let p = local(name.span());
            let method = Ident::new("union", name.span());
            let mut body = TokenStream::new();
            for (i, side) in sides.iter().enumerate() {
                let side_body = flow(side);
                let end = local(
                    side.steps
                        .last()
                        .map_or_else(|| head_span(side), Step::span),
                );
                // The side is bound to a local named where the user named
                // it in `union(..)`: an error about it (records of another
                // type) points there.
                let span = at.get(i).copied().unwrap_or_else(|| name.span());
                let side_local = Ident::new("__laminar_side", Span::mixed_site().located_at(span));
                body.extend(quote_spanned! {span=>
                    let #side_local = { #side_body #end };
                });
                body.extend(if i == 0 {
                    quote_spanned! {name.span()=> let #p = #side_local; }
                } else {
                    let side_arg = Ident::new("__laminar_side", span);
                    quote_spanned! {span=>
                        let #side_arg = #side_local;
                        let #p = #p.#method(#side_arg);
                    }
                });
            }
            body
        }
        // The fork is made where the tee is, from the stream it reads.
        Head::Fork => TokenStream::new(),
        Head::Join(join) => join_head(join),
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
            Step::Exchange { name, key, .. } => {
                let method = Ident::new("key_by_exchange", name.span());
                quote_spanned! {name.span()=>
                    let #p = #p.#method(#key);
                }
            }
            Step::Gather { name } => {
                let method = Ident::new("gather", name.span());
                quote_spanned! {name.span()=>
                    let #p = #p.#method();
                }
            }
            Step::Tee { side, span } => {
                let side_body = flow(side);
                let fork = local(*span);
                let side_end = local(side.steps.last().map_or(*span, Step::span));
                let side_local = Ident::new("__laminar_side", Span::mixed_site().located_at(*span));
                quote_spanned! {*span=>
                    let #side_local = {
                        let #fork = #p.fork();
                        #side_body
                        #side_end
                    };
                    let #p = #p.tee(#side_local);
                }
            }
            Step::Split { left, right } => {
                let span = step.span();
                let branch = |plan: &Plan, name: &str| {
                    let body = flow(plan);
                    let fork = local(span);
                    let end = local(plan.steps.last().map_or(span, Step::span));
                    let local = Ident::new(name, Span::mixed_site().located_at(span));
                    (
                        local.clone(),
                        quote_spanned! {span=>
                            let #local = {
                                let #fork = #p.fork();
                                #body
                                #end
                            };
                        },
                    )
                };
                let (l, left) = branch(left, "__laminar_left");
                let (r, right) = branch(right, "__laminar_right");
                quote_spanned! {span=>
                    #left
                    #right
                    let #p = #p.split(#l, #r);
                }
            }
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
    body
}

/// The statements of a join: both sides tagged by side, their union, and
/// the join, whose exchange routes each side by its key.
fn join_head(join: &JoinPlan) -> TokenStream {
    let p = local(join.name.span());
    let mut body = TokenStream::new();
    for (k, side) in join.sides.iter().enumerate() {
        let side_body = flow(side);
        let end = local(
            side.steps
                .last()
                .map_or_else(|| head_span(side), Step::span),
        );
        let span = join.at[k];
        let tag = if k == 0 {
            quote_spanned!(span=> ::laminar::__private::Either::Left)
        } else {
            quote_spanned!(span=> ::laminar::__private::Either::Right)
        };
        let side_local = Ident::new("__laminar_side", span);
        body.extend(quote_spanned! {span=>
            let #side_local = { #side_body #end };
            let #side_local = #side_local.map(#tag);
        });
        body.extend(if k == 0 {
            quote_spanned! {span=> let #p = #side_local; }
        } else {
            quote_spanned! {span=> let #p = #p.union(#side_local); }
        });
    }
    let [left_key, right_key] = &join.keys;
    let build = &join.build;
    let span = join.name.span();
    let call = match &join.kind {
        JoinKind::Interval {
            lower,
            upper,
            outer,
        } => {
            let method = Ident::new(
                if *outer {
                    "interval_left_join"
                } else {
                    "interval_join"
                },
                span,
            );
            let (lower, upper) = (Literal::i64_suffixed(*lower), Literal::i64_suffixed(*upper));
            quote_spanned! {span=> #p.#method(#left_key, #right_key, #lower, #upper, #build) }
        }
        JoinKind::Table { outer } => {
            // Spanned at the table's name: a table of rows that are not
            // changes is an error there.
            let method = Ident::new(
                if *outer {
                    "table_left_join"
                } else {
                    "table_join"
                },
                join.at[1],
            );
            quote_spanned! {span=> #p.#method(#left_key, #right_key, #build) }
        }
        JoinKind::Window(shape) => {
            let ms: Vec<u64> = shape
                .durations
                .iter()
                .filter_map(|d| match d {
                    Dur::Millis(ms) => Some(*ms),
                    Dur::Expr { .. } => None,
                })
                .collect();
            let (size, slide) = match ms[..] {
                [size] => (size, size),
                [size, slide, ..] => (size, slide),
                [] => (0, 0),
            };
            let (size, slide) = (Literal::u64_suffixed(size), Literal::u64_suffixed(slide));
            let method = Ident::new("window_join", span);
            quote_spanned! {span=>
                #p.#method(#left_key, #right_key, ::laminar::__private::Fixed::<#size, #slide>, #build)
            }
        }
    };
    body.extend(quote_spanned! {span=> let #p = #call; });
    body
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
    let method = if w.two_phase {
        "aligned_window_all"
    } else {
        w.shape.spec.method
    };
    let method = Ident::new(method, w.name.span());
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

/// [`stub`] for an input type given as tokens (a graph's `Either<..>`), or
/// `()` when it is not known.
pub fn stub_typed(source: Option<TokenStream>, errors: TokenStream) -> TokenStream {
    let source = source.unwrap_or_else(|| quote!(()));
    quote! {{
        #errors
        ::laminar::__private::stub::<#source, _>()
    }}
}
