//! Driving one core's Nexmark chain by hand, as the runtime would: the
//! criterion bench, the instruction-count binary and the peers bench run
//! the same loop. And Nexmark's stateless queries q0, q1 and q2, which the
//! peers bench runs beside `laminar_examples::nexmark`'s q5 and q7.

use laminar::{Emit, Operator, Pipeline, stream};
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

/// Nexmark q0, passthrough: every bid as it is.
pub fn q0() -> impl Pipeline<In = Bid, Out = Bid> {
    stream! { Bid }
}

/// q1's currency conversion, Nexmark's `DOLTOEUR`: dollars to euros at
/// 0.89, in integer cents as Nexmark's reference implementation does.
#[inline]
pub fn to_euros(price: u64) -> u64 {
    price * 89 / 100
}

/// Nexmark q1, currency conversion: every bid with its price in euros.
pub fn q1() -> impl Pipeline<In = Bid, Out = Bid> {
    stream! {
        Bid
        -> map(|b| Bid { price: to_euros(b.price), ..b })
    }
}

/// q2's selection: the bids on one auction in 123, as the Nexmark
/// implementations that generate their auctions (Flink's, renoir's) pick
/// them.
#[inline]
pub fn q2_selects(b: &Bid) -> bool {
    b.auction.is_multiple_of(123)
}

/// Nexmark q2, selection: `(auction, price)` of the bids [`q2_selects`]
/// keeps.
pub fn q2() -> impl Pipeline<In = Bid, Out = (u64, u64)> {
    stream! {
        Bid
        -> filter(q2_selects)
        -> map(|b| (b.auction, b.price))
    }
}
