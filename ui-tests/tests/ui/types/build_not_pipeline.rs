// `Runtime::builder().build` takes a pipeline: a number is rejected with the `Pipeline` trait's message.
use laminar::prelude::*;

fn main() {
    let _rt = Runtime::builder().build(42);
}
