//! Collects errors so that one expansion reports all of them.

use std::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// An error sink; `finish` turns it into a result.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// An error underlining `tokens`.
    pub fn error_spanned_by<T: ToTokens, M: Display>(&mut self, tokens: T, message: M) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    /// An error with extra lines (help, notes) after the message.
    pub fn error_with<T: ToTokens>(&mut self, tokens: T, message: &str, extra: &[String]) {
        let mut text = message.to_owned();
        for line in extra {
            text.push('\n');
            text.push_str(line);
        }
        self.error_spanned_by(tokens, text);
    }

    /// A prepared error.
    pub fn push(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// `Ok` if nothing was reported, else every error.
    pub fn finish(self) -> Result<(), Vec<syn::Error>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// All errors as `compile_error!` invocations.
pub fn to_compile_errors(errors: Vec<syn::Error>) -> TokenStream {
    errors.iter().map(syn::Error::to_compile_error).collect()
}
