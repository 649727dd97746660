// A pipeline with a shape error that is then built and drained: only the macro's error should show.
use laminar::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! { u64 -> mapp(|x| x + 1) };
    let rt = Runtime::builder().cores(1).build(p)?;
    rt.input().submit(7)?;
    let mut out: Vec<u64> = Vec::new();
    rt.finish_into(&mut out)?;
    Ok(())
}
