// A pipeline inside a generic function, over the function's type parameters.
use laminar::prelude::*;
use std::hash::Hash;

fn doubled<T>() -> impl Pipeline<In = T, Out = u64>
where
    T: Into<u64> + Send + 'static,
{
    stream! { T -> map(|x| x.into() * 2) }
}

fn keyed<E, K>(key: fn(&E) -> K) -> impl Pipeline<In = E, Out = E>
where
    E: Send + 'static,
    K: Hash + Eq + Clone + Send + 'static,
{
    stream! { E -> key_by(key) -> inspect(|_| ()) }
}

fn main() {
    let mut chain = doubled::<u32>().instantiate(0);
    let mut out = Vec::new();
    chain.on_event(21, &mut out);
    assert_eq!(out, [42]);

    let p = keyed(|s: &String| s.len());
    assert!(p.describe().contains("key_by"));
}
