// A pipeline ending in `for_each` sends nothing to the outboxes: draining it into a `Vec<u64>` is rejected.
use laminar::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! { u64 -> for_each(|x| drop(x)) };
    let rt = Runtime::builder().cores(1).build(p)?;
    let mut out: Vec<u64> = Vec::new();
    rt.finish_into(&mut out)?;
    Ok(())
}
