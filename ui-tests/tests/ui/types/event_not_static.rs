// Events must be `'static`: a source type borrowing for `'a` is rejected.
use laminar::prelude::*;

fn lengths<'a>(_text: &'a str) {
    let _p = stream! { &'a str -> map(|s| s.len()) };
}

fn main() {
    lengths("abc");
}
