// `flat_map` then `key_by` (an exchange) then `reduce`: a word count over lines; the last result per word is its count.
use laminar::prelude::*;
use std::collections::HashMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! {
        &'static str
        -> flat_map(|line| line.split(' ').map(|w| (w.to_owned(), 1u64)))
        -> key_by(|e| e.0.clone())
        -> reduce(|a, b| (a.0, a.1 + b.1))
    };
    let rt = Runtime::builder().cores(2).build(p)?;
    rt.input().submit_iter(["a b a", "c a", "b"])?;
    let mut out = Vec::new();
    rt.finish_into(&mut out)?;
    let mut counts = HashMap::new();
    for (word, (_, n)) in out {
        let c = counts.entry(word).or_insert(0);
        *c = n.max(*c);
    }
    let expected: HashMap<String, u64> = [
        ("a".to_owned(), 3),
        ("b".to_owned(), 2),
        ("c".to_owned(), 1),
    ]
    .into();
    assert_eq!(counts, expected);
    Ok(())
}
