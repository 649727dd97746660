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
        if input.peek(Token![let]) {
            return Err(input.error(
                "named streams (`let name = ...;`) and joins are not supported yet; \
                 write one pipeline: `Source -> stage(...) -> ...`",
            ));
        }
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
