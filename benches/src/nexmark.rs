//! Driving one core's Nexmark chain by hand, as the runtime would: the
//! criterion bench, the instruction-count binaries and the peers bench run
//! the same loop. And Nexmark's stateless queries q0, q1 and q2, which the
//! peers bench runs beside `laminar_examples::nexmark`'s q5 and q7, and the
//! digest through which the instruction-count binaries compare a chain's
//! results with a hand loop's.

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

/// Folds one window result `(key, window start, value)` into an
/// order-independent digest, for the instruction-count binaries: what a
/// chain emits and what a hand loop computes are compared through it.
#[inline]
pub fn mix(key: u64, start: u64, value: u64) -> u64 {
    let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17)
        ^ start.wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ value.wrapping_mul(0x1656_67B1_9E37_79F9).rotate_left(31);
    h.wrapping_mul(0xFF51_AFD7_ED55_8CCD)
}

/// Counts window results and digests them (see [`mix`]), storing nothing;
/// every result's window must be `WINDOW` ms long.
#[derive(Default, Debug, PartialEq, Eq, Clone, Copy)]
pub struct Digest<const WINDOW: u64> {
    /// Results seen.
    pub results: u64,
    /// The sum of their [`mix`]es.
    pub sum: u64,
}

impl<const WINDOW: u64> Digest<WINDOW> {
    /// Adds one result.
    #[inline]
    pub fn add(&mut self, key: u64, start: u64, value: u64) {
        self.results += 1;
        self.sum = self.sum.wrapping_add(mix(key, start, value));
    }
}

/// q7's results: a max per auction.
impl<const WINDOW: u64> Emit<laminar::Windowed<u64, Option<u64>>> for Digest<WINDOW> {
    #[inline]
    fn emit(&mut self, w: laminar::Windowed<u64, Option<u64>>) {
        assert_eq!(w.end - w.start, WINDOW);
        let max = w.value.expect("a window with bids has a max");
        self.add(w.key, w.start, max);
    }
}

/// q7 whole (`window_all`): a max over all bids, digested under key 0.
impl<const WINDOW: u64> Emit<laminar::Windowed<(), Option<u64>>> for Digest<WINDOW> {
    #[inline]
    fn emit(&mut self, w: laminar::Windowed<(), Option<u64>>) {
        assert_eq!(w.end - w.start, WINDOW);
        let max = w.value.expect("a window with bids has a max");
        self.add(0, w.start, max);
    }
}

/// q5's results: a count per auction.
impl<const WINDOW: u64> Emit<laminar::Windowed<u64, u64>> for Digest<WINDOW> {
    #[inline]
    fn emit(&mut self, w: laminar::Windowed<u64, u64>) {
        assert_eq!(w.end - w.start, WINDOW);
        self.add(w.key, w.start, w.value);
    }
}
