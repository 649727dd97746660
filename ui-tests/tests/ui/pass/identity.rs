// The identity pipeline: only a source type, no stages; events reach the outboxes unchanged.
use laminar::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! { u64 };
    let rt = Runtime::builder().cores(1).build(p)?;
    rt.input().submit_iter([1, 2, 3])?;
    let mut out: Vec<u64> = Vec::new();
    rt.finish_into(&mut out)?;
    assert_eq!(out, [1, 2, 3]);
    Ok(())
}
