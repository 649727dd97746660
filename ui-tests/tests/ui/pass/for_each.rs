// A pipeline ending in `for_each`, with a `move` closure that captures an `Arc`.
use laminar::prelude::*;
use std::sync::{Arc, Mutex};

fn main() {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let shared = sink.clone();
    let p = stream! {
        u8
        -> map(|x| x + 1)
        -> for_each(move |x| shared.lock().unwrap().push(x))
    };
    let rt = Runtime::builder().cores(1).build(p).unwrap();
    rt.input().submit_iter([1, 2]).unwrap();
    rt.finish().unwrap();
    assert_eq!(*sink.lock().unwrap(), [2, 3]);
}
