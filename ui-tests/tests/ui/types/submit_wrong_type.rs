// An input handle only accepts the pipeline's source type.
use laminar::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! { u64 -> map(|x| x + 1) };
    let rt = Runtime::builder().cores(1).build(p)?;
    rt.input().submit("seven")?;
    Ok(())
}
