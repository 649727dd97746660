//! The syntax of a pipeline, as written. Parsing is lenient where validation
//! can say more (a missing source, a stage without parentheses): it records
//! what it saw, with every token kept for spans, and leaves the verdicts to
//! `validate`, which reports all of them at once.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token, Type, token};

/// `Source -> stage(...) -> stage(...)`.
pub struct PipelineAst {
    /// The event type, if the pipeline starts with one.
    pub source: Option<Type>,
    /// The stages in order.
    pub stages: Vec<StageAst>,
    /// Where to point errors about the whole pipeline.
    pub span: Span,
}

/// `-> name(args)`.
pub struct StageAst {
    /// The arrow before the stage; `None` for a stage written where the
    /// source type goes (`stream! { map(..) -> .. }`).
    pub arrow: Option<Token![->]>,
    /// The operator's name as written.
    pub name: Ident,
    /// The parentheses, if written.
    pub paren: Option<token::Paren>,
    /// The arguments inside them.
    pub args: Punctuated<Arg, Token![,]>,
}

/// One argument: `expr` or `name = expr`.
pub enum Arg {
    /// A positional argument.
    Positional(Expr),
    /// A named argument.
    Named {
        /// The name.
        name: Ident,
        /// The `=`.
        eq: Token![=],
        /// The value.
        value: Expr,
    },
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            Ok(Arg::Named {
                name: input.parse()?,
                eq: input.parse()?,
                value: input.parse()?,
            })
        } else {
            input.parse().map(Arg::Positional)
        }
    }
}

impl ToTokens for Arg {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Arg::Positional(e) => e.to_tokens(tokens),
            Arg::Named { name, eq, value } => {
                name.to_tokens(tokens);
                eq.to_tokens(tokens);
                value.to_tokens(tokens);
            }
        }
    }
}

impl StageAst {
    /// The stage's tokens from its name to its closing parenthesis, for
    /// errors that should underline the whole stage.
    pub fn tokens(&self) -> TokenStream {
        let mut ts = self.name.to_token_stream();
        if let Some(paren) = &self.paren {
            paren.surround(&mut ts, |inner| self.args.to_tokens(inner));
        }
        ts
    }

    /// The arguments' tokens, or the name if there are none.
    pub fn args_tokens(&self) -> TokenStream {
        match &self.paren {
            Some(paren) => {
                let mut ts = TokenStream::new();
                paren.surround(&mut ts, |inner| self.args.to_tokens(inner));
                ts
            }
            None => self.name.to_token_stream(),
        }
    }
}

impl Parse for StageAst {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let arrow: Token![->] = input.parse()?;
        if input.is_empty() {
            return Err(syn::Error::new_spanned(
                arrow,
                "expected a stage after `->`, such as `map(|event| ...)`",
            ));
        }
        StageAst::parse_named(input, Some(arrow))
    }
}

impl StageAst {
    /// A stage from its name on.
    fn parse_named(input: ParseStream, arrow: Option<Token![->]>) -> syn::Result<Self> {
        let name = Ident::parse_any(input).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected an operator name after `->`, such as `map` or `filter`",
            )
        })?;
        let usage = crate::ops::lookup(&name.to_string())
            .map_or_else(|| format!("{name}(...)"), |op| op.usage.to_owned());
        if input.peek(token::Brace) || input.peek(token::Bracket) {
            return Err(input.error(format!(
                "`{name}` takes its arguments in parentheses\nhelp: write `{usage}`"
            )));
        }
        let (paren, args) = if input.peek(token::Paren) {
            let content;
            let paren = syn::parenthesized!(content in input);
            let args = content
                .parse_terminated(Arg::parse, Token![,])
                .map_err(|e| syn::Error::new(e.span(), format!("{e}\nhelp: write `{usage}`")))?;
            (Some(paren), args)
        } else {
            (None, Punctuated::new())
        };
        Ok(StageAst {
            arrow,
            name,
            paren,
            args,
        })
    }
}

impl Parse for PipelineAst {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let span = input.span();
        let mut stages = Vec::new();
        let source = if input.is_empty() || input.peek(Token![->]) {
            None
        } else if input.peek(Ident) && input.peek2(token::Paren) {
            // `map(..)` where the source type goes: no type is written
            // `name(..)`, so it is a stage; `validate` says the type is
            // missing, instead of rustc's "cannot find type `map`".
            stages.push(StageAst::parse_named(input, None)?);
            None
        } else {
            Some(input.parse::<Type>().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected the event type, such as `u64` or `MyEvent`, before the first `->`",
                )
            })?)
        };
        while !input.is_empty() {
            if input.peek(Token![;]) {
                return Err(input.error("a pipeline is one expression: remove the `;`"));
            }
            if input.peek(Token![=>]) {
                let arrow: Token![=>] = input.parse()?;
                return Err(syn::Error::new_spanned(
                    arrow,
                    "expected `->` between stages, found `=>`",
                ));
            }
            if !input.peek(Token![->]) {
                return Err(input.error("expected `->` before the next stage"));
            }
            stages.push(input.parse()?);
        }
        Ok(PipelineAst {
            source,
            stages,
            span,
        })
    }
}

/// A pipeline of several flows: `let name = flow;` statements, flows that
/// end in a sink (`flow;`), and the last flow, the pipeline's output.
pub struct GraphAst {
    /// The flows in order.
    pub flows: Vec<FlowAst>,
    /// `(a, b, ..)` after the flows: the pipeline's outputs, when it has
    /// several.
    pub outputs: Option<(token::Paren, Punctuated<Ident, Token![,]>)>,
    /// Where to point errors about the whole pipeline.
    pub span: Span,
}

/// One flow: `let name = head -> stages;`, `head -> stages;` or the last
/// `head -> stages`.
pub struct FlowAst {
    /// `let name =`, if the flow is named.
    pub binding: Option<(Token![let], Ident)>,
    /// Where its records come from.
    pub head: HeadAst,
    /// Its stages; `source` is the head's type when it is an input.
    pub body: PipelineAst,
    /// The `;` after it.
    pub semi: Option<Token![;]>,
}

/// The head of a flow.
pub enum HeadAst {
    /// An input: the events' type.
    Type,
    /// A stream named before.
    Name(Ident),
    /// `union(a, b, ..)`, `join(a, b, ..)` or `left_join(a, b, ..)`, kept
    /// as a stage for spans and messages.
    Union(StageAst),
}

impl FlowAst {
    /// Where errors about the whole flow point.
    pub fn head_tokens(&self) -> TokenStream {
        match &self.head {
            HeadAst::Type => self.body.source.to_token_stream(),
            HeadAst::Name(name) => name.to_token_stream(),
            HeadAst::Union(union) => union.tokens(),
        }
    }
}

/// Whether a `stream!` body is a graph: it binds a name or ends a flow.
pub fn is_graph(input: &TokenStream) -> bool {
    input.clone().into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => i == "let",
        proc_macro2::TokenTree::Punct(p) => p.as_char() == ';',
        _ => false,
    })
}

/// A head written as one identifier: a stream named somewhere in the
/// graph, or else a type.
enum RawHead {
    Ident(Ident),
    Type(Type),
    Union(StageAst),
}

impl Parse for GraphAst {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let span = input.span();
        let mut raw = Vec::new();
        let mut outputs = None;
        while !input.is_empty() {
            if input.peek(token::Paren) {
                let content;
                let paren = syn::parenthesized!(content in input);
                let names = content
                    .parse_terminated(Ident::parse, Token![,])
                    .map_err(|e| {
                        syn::Error::new(
                            e.span(),
                            format!("{e}\nhelp: name the outputs: `(alerts, counts)`"),
                        )
                    })?;
                if !input.is_empty() {
                    return Err(
                        input.error("the outputs `(a, b, ..)` come last, with no `;` after them")
                    );
                }
                outputs = Some((paren, names));
                break;
            }
            let binding = if input.peek(Token![let]) {
                let let_token: Token![let] = input.parse()?;
                let name: Ident = input.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected a stream name after `let`, such as `let bids = Bid -> ...;`",
                    )
                })?;
                input.parse::<Token![=]>().map_err(|e| {
                    syn::Error::new(e.span(), format!("expected `=` after `let {name}`"))
                })?;
                Some((let_token, name))
            } else {
                None
            };
            let head = if input.peek(Ident) && input.peek2(token::Paren) {
                let stage = StageAst::parse_named(input, None)?;
                if !["union", "join", "left_join"].contains(&stage.name.to_string().as_str()) {
                    return Err(syn::Error::new(
                        stage.name.span(),
                        format!(
                            "a flow starts with an event type, a stream's name, `union(..)` or `join(..)`, not the stage `{}`",
                            stage.name
                        ),
                    ));
                }
                RawHead::Union(stage)
            } else if input.peek(Ident)
                && (input.peek2(Token![->]) || input.peek2(Token![;]) || {
                    let ahead = input.fork();
                    ahead.parse::<Ident>().is_ok() && ahead.is_empty()
                })
            {
                RawHead::Ident(input.parse()?)
            } else {
                RawHead::Type(input.parse::<Type>().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected a flow's head: an event type, a stream's name or `union(a, b)`",
                    )
                })?)
            };
            let mut stages = Vec::new();
            while !input.is_empty() && !input.peek(Token![;]) {
                if input.peek(Token![=>]) {
                    let arrow: Token![=>] = input.parse()?;
                    return Err(syn::Error::new_spanned(
                        arrow,
                        "expected `->` between stages, found `=>`",
                    ));
                }
                if !input.peek(Token![->]) {
                    return Err(
                        input.error("expected `->` before the next stage, or `;` after the flow")
                    );
                }
                stages.push(input.parse()?);
            }
            let semi: Option<Token![;]> = input.parse()?;
            raw.push((binding, head, stages, semi));
        }
        let names: Vec<String> = raw
            .iter()
            .filter_map(|(b, ..)| b.as_ref().map(|(_, n)| n.to_string()))
            .collect();
        let flows = raw
            .into_iter()
            .map(|(binding, head, stages, semi)| {
                let (head, source) = match head {
                    RawHead::Ident(i) if names.contains(&i.to_string()) => (HeadAst::Name(i), None),
                    RawHead::Ident(i) => (HeadAst::Type, Some(syn::parse_quote!(#i))),
                    RawHead::Type(t) => (HeadAst::Type, Some(t)),
                    RawHead::Union(u) => (HeadAst::Union(u), None),
                };
                FlowAst {
                    binding,
                    head,
                    body: PipelineAst {
                        source,
                        stages,
                        span,
                    },
                    semi,
                }
            })
            .collect();
        Ok(GraphAst {
            flows,
            outputs,
            span,
        })
    }
}
