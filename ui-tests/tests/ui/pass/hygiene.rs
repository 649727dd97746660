// The macro's own locals are hygienic: a user variable named `__laminar_pipeline` is seen inside a
// closure and is still the user's value after the macro.
use laminar::prelude::*;

fn main() {
    let __laminar_pipeline = 5u64;
    let p = stream! {
        u64
        -> map(move |x| x + __laminar_pipeline)
        -> filter(move |x| *x != __laminar_pipeline)
    };
    assert_eq!(__laminar_pipeline, 5);
    let mut chain = p.instantiate(0);
    let mut out = Vec::new();
    chain.on_event(0, &mut out);
    chain.on_event(1, &mut out);
    assert_eq!(out, [6]);
    assert_eq!(__laminar_pipeline + 1, 6);
}
