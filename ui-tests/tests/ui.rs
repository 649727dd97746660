//! What the compiler tells a user of `stream!`: every compile-time error the
//! macro or the library's traits produce, one scenario per file, with the
//! expected output beside it. Regenerate with `TRYBUILD=overwrite` and read
//! every diff.
//!
//! rustc moves a trait-bound label longer than 140 characters into a `help`
//! line, and a closure's type name holds the absolute path of the checkout.
//! A case whose label could land near that limit names its types long enough
//! to be past it from any checkout path (see `types/closure_not_clone.rs`).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/parse/*.rs");
    t.compile_fail("tests/ui/validate/*.rs");
    t.compile_fail("tests/ui/types/*.rs");
    t.compile_fail("tests/ui/state/*.rs");
    t.compile_fail("tests/ui/windows/*.rs");
    t.compile_fail("tests/ui/named/*.rs");
    t.compile_fail("tests/ui/joins/*.rs");
}
