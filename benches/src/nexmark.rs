//! Driving one core's Nexmark chain by hand, as the runtime would: the
//! criterion bench and the instruction-count binary run the same loop.

use laminar::{Emit, Operator, Pipeline};
use laminar_examples::nexmark::Bid;

/// Runs `p`'s chain for core 0 over `bids` into `out`, with a watermark
/// (the highest time so far minus 2 s, as q7's lateness) every 64 events,
/// as an input handle sends them, then ends it.
pub fn drive_chain<P, E>(p: &P, bids: &[Bid], out: &mut E)
where
    P: Pipeline<In = Bid>,
    E: Emit<P::Out>,
{
    let mut op = p.instantiate(0);
    let mut max = 0;
    for (i, b) in bids.iter().enumerate() {
        max = max.max(b.date_time);
        op.on_event(*b, out);
        if i % 64 == 63 {
            op.on_watermark(max.saturating_sub(2_000), out);
        }
    }
    op.on_end(out);
}
