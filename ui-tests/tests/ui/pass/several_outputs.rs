// Several outputs from one stream, each read through its own typed handle.
use laminar::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! {
        let a = u64 -> map(|x| x + 1);
        a -> for_each(|_| {});
        let evens = a -> filter(|x| *x % 2 == 0);
        let words = a -> map(|x| format!("#{x}"));
        (evens, words)
    };
    let mut rt = Runtime::builder().cores(2).build(p)?;
    let evens = rt.output_port::<u64, _>()?;
    let words = rt.output_port::<String, _>()?;
    rt.input().submit_iter(0..10)?;
    rt.finish()?;
    assert_eq!(evens.count(), 5);
    assert_eq!(words.count(), 10);
    Ok(())
}
