//! The `stream!` macro of Laminar. Users depend on the `laminar` facade,
//! which re-exports it with its full documentation.
//!
//! The crate is a pipeline of small modules, each callable from unit tests
//! on `proc_macro2` tokens:
//! `ast` (parse) → `validate` (every error, at the user's tokens) →
//! `plan` (an IR of stages, key and routing) → `generate` (`quote!`),
//! with `ops` the operator table that drives validation and generation,
//! `time` the readers of durations, window shapes and aggregates, and
//! `describe` the Mermaid flowchart.

mod ast;
mod ctxt;
mod describe;
mod expand;
mod generate;
mod ops;
mod plan;
mod suggest;
mod time;
mod validate;

/// Builds a pipeline; see the `laminar` crate's documentation of `stream!`.
#[proc_macro]
pub fn stream(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand::stream(input.into()).into()
}
