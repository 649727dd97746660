//! The `stream!` macro of Laminar. Users depend on the `laminar` facade,
//! which re-exports it with its full documentation.
//!
//! The crate is a pipeline of small modules, each callable from unit tests
//! on `proc_macro2` tokens:
//! `ast` (parse) → `read` (each stage's arguments, once, into typed
//! values) → `validate` (the checks across stages) → `plan` (an IR of
//! stages, key and routing; it cannot fail on user input) → `generate`
//! (`quote!`), with every error collected at the user's tokens. `ops` is
//! the operator table that drives all of them, `time` the readers of
//! durations, window shapes and aggregates, and `describe` the Mermaid
//! flowchart.
//!
//! No code here panics on user input: `expect`, `unwrap`, `unreachable!`
//! and `panic!` are denied outside tests.

#![cfg_attr(
    not(test),
    deny(
        clippy::expect_used,
        clippy::unwrap_used,
        clippy::unreachable,
        clippy::panic
    )
)]

mod ast;
mod ctxt;
mod describe;
mod expand;
mod generate;
mod graph;
mod ops;
mod plan;
mod read;
mod suggest;
mod time;
mod validate;

/// Builds a pipeline; see the `laminar` crate's documentation of `stream!`.
#[proc_macro]
pub fn stream(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand::stream(input.into()).into()
}
