//! The crash harness's process: `kill9_pipeline <input dir> <output dir>
//! <checkpoint dir> <cores>` runs `laminar_examples::kill9::pipeline` from
//! the input's JSON-lines files into the exactly-once file sink, with a
//! checkpoint every 100 ms, recovering from the last checkpoint first. It
//! exits 0 once the input is done and committed; `tests/kill9.rs` kills it
//! before that, at random or at a failpoint (`LAMINAR_FAILPOINT`).

use std::path::PathBuf;
use std::time::Duration;

use laminar::Runtime;
use laminar::sink::file::FileSink;
use laminar_examples::kill9;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output, checkpoints, cores] = args.as_slice() else {
        return Err(
            "usage: kill9_pipeline <input dir> <output dir> <checkpoint dir> <cores>".into(),
        );
    };
    let rt = Runtime::builder()
        .cores(cores.parse()?)
        .checkpoint_dir(checkpoints)
        .checkpoint_every(Duration::from_millis(100))
        .recover(true)
        .build_with_sink(
            kill9::pipeline(),
            FileSink::json_lines(PathBuf::from(output)),
        )?;
    let source = laminar::source::json_lines::<kill9::Rec>(kill9::inputs(input.as_ref()))?;
    let errors = source.errors();
    rt.attach(source);
    let report = rt.finish()?;
    if errors.rejected() > 0 || errors.failed() > 0 {
        return Err(format!("the input had bad records: {:?}", errors.last()).into());
    }
    // A record late for its window is counted, not committed: for the
    // harness that is a loss, and it says so.
    if report.late() > 0 {
        return Err(format!("{} records came late for their windows", report.late()).into());
    }
    println!(
        "done: {} read, {} checkpoints",
        report.read(),
        report.checkpoints
    );
    Ok(())
}
