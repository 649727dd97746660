//! Nexmark, the standard streaming benchmark, as Laminar runs it: bids
//! from the `nexmark` crate's generator, and the pipelines of queries q5,
//! q7 and q11, and of the extended suite's q15, q16 and q17 with their
//! aggregates. The examples, the Nexmark tests of `laminar` and the
//! Nexmark bench all use these, so that what is measured is what is
//! tested.
//!
//! [`q5`], [`q7`] and [`q11`] are the part of their query that spreads over
//! cores (keyed, windowed, aggregated); the query's last step, over all
//! keys of a window, is left to the consumer. [`q5_hot`], [`q7_highest`],
//! [`q15`], [`q16`] and [`q17`] are whole queries.

use ::nexmark::EventGenerator;
use ::nexmark::config::NexmarkConfig;
use ::nexmark::event::{Event, EventType};
use laminar::prelude::*;
use laminar::source::{self, Source};

/// A Nexmark bid without its strings (url, extra), its channel as a number
/// ([`channel_id`]): `Copy`, so the pipeline measures its own work and not
/// string clones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bid {
    /// The auction bid on.
    pub auction: u64,
    /// The person bidding.
    pub bidder: u64,
    /// The price, in cents.
    pub price: u64,
    /// Event time, milliseconds since the epoch.
    pub date_time: u64,
    /// The channel the bid came through, as [`channel_id`] numbers the
    /// generator's channel names.
    pub channel: u32,
}

impl From<&::nexmark::event::Bid> for Bid {
    fn from(b: &::nexmark::event::Bid) -> Self {
        Bid {
            auction: b.auction as u64,
            bidder: b.bidder as u64,
            price: b.price as u64,
            date_time: b.date_time,
            channel: channel_id(&b.channel),
        }
    }
}

/// The generator's channels by number, one to one: its four hot channels
/// (`Google`, `Facebook`, `Baidu`, `Apple`, about half the bids) are 0 to
/// 3, and `channel-N` (N below 10 000, the rest) is `4 + N`. Any other name
/// (a generator configured with other hot channels) is `u32::MAX`.
pub fn channel_id(name: &str) -> u32 {
    const HOT: [&str; 4] = ["Google", "Facebook", "Baidu", "Apple"];
    if let Some(i) = HOT.iter().position(|&h| h == name) {
        return i as u32;
    }
    name.strip_prefix("channel-")
        .and_then(|n| n.parse::<u32>().ok())
        .and_then(|n| n.checked_add(HOT.len() as u32))
        .unwrap_or(u32::MAX)
}

/// The first event's time (ms since the epoch): fixed, where Nexmark's
/// default is the wall clock, so that every run sees the same bids. A
/// multiple of 10 s, so windows start with it.
pub const BASE_TIME: u64 = 1_700_000_000_000;

/// Nexmark's default rate: events per second of event time (persons,
/// auctions and bids together), of which 46 in 50 are bids.
pub const DEFAULT_RATE: usize = 10_000;

/// `n` Nexmark bids, `rate` events per second of event time, from
/// [`BASE_TIME`], in the generator's order, which is event-time order
/// (Nexmark's own out-of-order groups are off by default).
pub fn bids(n: usize, rate: usize) -> Vec<Bid> {
    let config = NexmarkConfig {
        base_time: BASE_TIME,
        first_rate: rate,
        next_rate: rate,
        ..NexmarkConfig::default()
    };
    EventGenerator::new(config)
        .with_type_filter(EventType::Bid)
        .take(n)
        .map(|e| match e {
            Event::Bid(b) => Bid::from(&b),
            other => panic!("the bid filter gave {other:?}"),
        })
        .collect()
}

/// The same bids as [`bids`]`(n, rate)`, as a source whose splits generate
/// them inside the cores: core `i` of `c` generates bids `i, i + c, i + 2c,
/// ...`, so the cores move through event time together and no thread
/// generates for another.
///
/// ```
/// use laminar::source::{Read, Source, Split};
/// use laminar_examples::nexmark::{bid_source, bids};
/// let mut src = bid_source(10, 1_000);
/// let (mut a, mut b) = (src.split(0, 2), src.split(1, 2));
/// let (mut got_a, mut got_b) = (Vec::new(), Vec::new());
/// assert_eq!(a.read(&mut got_a, 100), Read::End);
/// assert_eq!(b.read(&mut got_b, 100), Read::End);
/// assert_eq!(got_a.len() + got_b.len(), 10);
/// assert_eq!(got_b[0], bids(10, 1_000)[1]);
/// ```
pub fn bid_source(n: usize, rate: usize) -> impl Source<Bid> {
    source::from_fn(move |core, cores| {
        let config = NexmarkConfig {
            base_time: BASE_TIME,
            first_rate: rate,
            next_rate: rate,
            ..NexmarkConfig::default()
        };
        // Bid numbers `core, core + cores, ...` below `n`.
        let share = n.saturating_sub(core).div_ceil(cores);
        EventGenerator::new(config)
            .with_type_filter(EventType::Bid)
            .with_offset(core as u64)
            .with_step(cores as u64)
            .take(share)
            .filter_map(|e| match e {
                Event::Bid(b) => Some(Bid::from(&b)),
                // The bid filter gives only bids.
                _ => None,
            })
    })
}

/// q5, hot items: per auction, the number of bids in each 10 s window
/// sliding by 2 s, with a lateness of 2 s. The query's last step, the
/// auctions with the most bids per window, is the consumer's.
pub fn q5() -> impl Pipeline<In = Bid, Out = Windowed<u64, u64>> {
    stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> key_by(|b| b.auction)
        -> window(sliding(10s, 2s))
        -> aggregate(count())
    }
}

/// q7, highest bid: per auction, the highest price in each 10 s tumbling
/// window, with a lateness of 2 s. The query's last step, the highest of
/// those per window over all auctions (a max of maxima is the max), is the
/// consumer's.
pub fn q7() -> impl Pipeline<In = Bid, Out = Windowed<u64, Option<u64>>> {
    stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> key_by(|b| b.auction)
        -> window(tumbling(10s))
        -> aggregate(max(|b| b.price))
    }
}

/// q11, user sessions: per bidder, the number of bids in each session, a
/// session ending after 10 s without a bid, with a lateness of 2 s. The
/// whole query: nothing is left to the consumer.
pub fn q11() -> impl Pipeline<In = Bid, Out = Windowed<u64, u64>> {
    stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> key_by(|b| b.bidder)
        -> window(session(10s))
        -> aggregate(count())
    }
}

/// q5 in its standard two-stage form, as one graph: the bids per auction in
/// each 10 s window sliding by 2 s (keyed by auction), then, re-keyed by
/// window, the auctions with the most bids in each (keyed by the window's
/// start, so the windows spread over the cores too). Each first-stage
/// result carries its window's last millisecond, so the second stage's
/// 2 s tumbling window `[end - 2 s, end)` holds exactly the results of one
/// first-stage window. The result's key is the first-stage window's start;
/// its value is the highest count and the auctions that have it, sorted.
pub fn q5_hot() -> impl Pipeline<In = Bid, Out = Windowed<u64, (u64, Vec<u64>)>> {
    stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> key_by(|b| b.auction)
        -> window(sliding(10s, 2s))
        -> aggregate(count())
        -> key_by(|w| w.start)
        -> window(tumbling(2s))
        -> aggregate(HotItems)
    }
}

/// The auctions with the most bids among per-auction counts: the highest
/// count, and every auction that has it (sorted).
#[derive(Clone, Copy, Debug, Default)]
pub struct HotItems;

impl laminar::Aggregate<Windowed<u64, u64>> for HotItems {
    type Acc = (u64, Vec<u64>);
    type Out = (u64, Vec<u64>);

    fn create(&self) -> Self::Acc {
        (0, Vec::new())
    }

    fn add(&self, acc: &mut Self::Acc, w: &Windowed<u64, u64>, _ts: laminar::Timestamp) {
        if w.value > acc.0 {
            acc.0 = w.value;
            acc.1.clear();
        }
        if w.value == acc.0 {
            acc.1.push(w.key);
        }
    }

    fn merge(&self, into: &mut Self::Acc, other: &Self::Acc) {
        if other.0 > into.0 {
            *into = other.clone();
        } else if other.0 == into.0 {
            into.1.extend_from_slice(&other.1);
        }
    }

    fn finish(&self, acc: &Self::Acc) -> Self::Out {
        let mut auctions = acc.1.clone();
        auctions.sort_unstable();
        (acc.0, auctions)
    }
}

/// q7, highest bid, as one graph: the highest price over all bids in each
/// 10 s tumbling window (`window_all`).
pub fn q7_highest() -> impl Pipeline<In = Bid, Out = Windowed<(), Option<u64>>> {
    stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> window_all(tumbling(10s))
        -> aggregate(max(|b| b.price))
    }
}

/// The lowest price (cents) of rank 2 in q15 to q17: below it, rank 1.
pub const RANK2_FROM: u64 = 10_000;
/// The lowest price (cents) of rank 3.
pub const RANK3_FROM: u64 = 1_000_000;

/// A price's rank in q15 to q17, as an index: 0 below [`RANK2_FROM`], 1
/// below [`RANK3_FROM`], 2 from there on.
pub fn price_rank(price: u64) -> usize {
    if price < RANK2_FROM {
        0
    } else if price < RANK3_FROM {
        1
    } else {
        2
    }
}

/// A count over a window's bids, in total and per [`price_rank`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PerRank {
    /// Over all the bids.
    pub total: u64,
    /// Over the bids of rank 1, 2 and 3 (indexed by [`price_rank`]).
    pub rank: [u64; 3],
}

/// The number of bids, in total and per price rank (the SQL's `count(*)`
/// and `count(*) filter (where price < 10000)`, ...).
#[derive(Clone, Copy, Debug, Default)]
pub struct RankedCount;

impl laminar::Aggregate<Bid> for RankedCount {
    type Acc = [u64; 3];
    type Out = PerRank;

    fn create(&self) -> Self::Acc {
        [0; 3]
    }

    fn add(&self, acc: &mut Self::Acc, b: &Bid, _ts: laminar::Timestamp) {
        acc[price_rank(b.price)] += 1;
    }

    fn merge(&self, into: &mut Self::Acc, other: &Self::Acc) {
        for (a, b) in into.iter_mut().zip(other) {
            *a += b;
        }
    }

    fn finish(&self, acc: &Self::Acc) -> PerRank {
        PerRank {
            total: acc.iter().sum(),
            rank: *acc,
        }
    }
}

/// The number of distinct values of a field of the bids (a bidder, an
/// auction), in total and per price rank: the SQL's `count(distinct
/// bidder)` and `count(distinct bidder) filter (where price < 10000)`, ...
/// Made by [`distinct_per_rank`].
///
/// It keeps every value seen with the ranks it was seen at (a bit each),
/// so that one set answers all four counts, and two sets merge by
/// or-ing the bits of equal values: a value seen on both sides counts once.
#[derive(Clone, Copy, Debug)]
pub struct DistinctPerRank<F>(F);

/// Distinct `field(bid)` in total and per price rank, as a windowed
/// aggregate: `aggregate(distinct_per_rank(|b| b.bidder))`.
pub fn distinct_per_rank<F>(field: F) -> DistinctPerRank<F>
where
    F: Fn(&Bid) -> u64 + Clone + Send + 'static,
{
    DistinctPerRank(field)
}

impl<F> laminar::Aggregate<Bid> for DistinctPerRank<F>
where
    F: Fn(&Bid) -> u64 + Clone + Send + 'static,
{
    /// Each value seen, with bit `r` set if it was seen at rank `r`.
    type Acc = rustc_hash::FxHashMap<u64, u8>;
    type Out = PerRank;

    fn create(&self) -> Self::Acc {
        Self::Acc::default()
    }

    fn add(&self, acc: &mut Self::Acc, b: &Bid, _ts: laminar::Timestamp) {
        *acc.entry((self.0)(b)).or_default() |= 1 << price_rank(b.price);
    }

    fn merge(&self, into: &mut Self::Acc, other: &Self::Acc) {
        for (&value, &ranks) in other {
            *into.entry(value).or_default() |= ranks;
        }
    }

    fn finish(&self, acc: &Self::Acc) -> PerRank {
        let mut rank = [0; 3];
        for ranks in acc.values() {
            for (r, n) in rank.iter_mut().enumerate() {
                *n += u64::from(ranks >> r & 1);
            }
        }
        PerRank {
            total: acc.len() as u64,
            rank,
        }
    }
}

/// q15's and q16's statistics of a window's bids: the bids, the distinct
/// bidders and the distinct auctions, each in total and per price rank.
pub type BidStats = (PerRank, PerRank, PerRank);

/// q15, bidding statistics: over all bids, per tumbling window of `size`
/// (Nexmark's is a day), the bids, distinct bidders and distinct auctions,
/// in total and per price rank, with a lateness of 2 s.
///
/// The window is a `window_all`, not a `key_by` on the day: the query has
/// one group per day, so keying by day would put a day's bids on one core
/// (a run of Nexmark spans minutes of one day), while `window_all`, which
/// fires each window once, runs in two phases: every core counts its own
/// bids, and core 0 merges the cores' sets. Keying by day would also
/// repeat the window's arithmetic in a closure that must agree with the
/// window size.
pub fn q15(size: std::time::Duration) -> impl Pipeline<In = Bid, Out = Windowed<(), BidStats>> {
    stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> window_all(tumbling(size))
        -> aggregate(
            RankedCount,
            distinct_per_rank(|b| b.bidder),
            distinct_per_rank(|b| b.auction)
        )
    }
}

/// q16's minute: a timestamp's minute, as the minute's start in ms.
pub const MINUTE: u64 = 60_000;

/// q16, channel statistics: q15 per channel and tumbling window of `size`,
/// with the latest minute of a bid in each (the SQL's `max(DATE_FORMAT(
/// dateTime, 'HH:mm'))`, as that minute's start in ms). Keyed by channel,
/// so the channels spread over the cores.
pub fn q16(
    size: std::time::Duration,
) -> impl Pipeline<In = Bid, Out = Windowed<u32, (PerRank, PerRank, PerRank, Option<u64>)>> {
    stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> key_by(|b| b.channel)
        -> window(tumbling(size))
        -> aggregate(
            RankedCount,
            distinct_per_rank(|b| b.bidder),
            distinct_per_rank(|b| b.auction),
            max(|b| b.date_time - b.date_time % MINUTE)
        )
    }
}

/// q17's statistics of one auction's bids in a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AuctionStats {
    /// The bids, in total and per price rank.
    pub bids: PerRank,
    /// Their lowest price.
    pub min_price: u64,
    /// Their highest price.
    pub max_price: u64,
    /// Their average price, rounded down (the SQL's `avg` of a `BIGINT`).
    pub avg_price: u64,
    /// Their total price.
    pub sum_price: u64,
}

/// q17, auction statistics: per auction and tumbling window of `size`, the
/// bids in total and per price rank, and the lowest, highest, average and
/// total price, with a lateness of 2 s. Keyed by auction.
pub fn q17(
    size: std::time::Duration,
) -> impl Pipeline<In = Bid, Out = Windowed<u64, AuctionStats>> {
    stream! {
        Bid
        -> event_time(|b| b.date_time, lateness = 2s)
        -> key_by(|b| b.auction)
        -> window(tumbling(size))
        -> aggregate(RankedCount, min(|b| b.price), max(|b| b.price), sum(|b| b.price))
        -> map(|w| {
            let (bids, min, max, sum) = w.value;
            Windowed {
                key: w.key,
                start: w.start,
                end: w.end,
                value: AuctionStats {
                    bids,
                    // A window has a bid: its minimum and maximum exist.
                    min_price: min.unwrap_or(0),
                    max_price: max.unwrap_or(0),
                    avg_price: sum / bids.total.max(1),
                    sum_price: sum,
                },
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use laminar::Aggregate;

    fn bid(auction: u64, bidder: u64, price: u64) -> Bid {
        Bid {
            auction,
            bidder,
            price,
            date_time: BASE_TIME,
            channel: 0,
        }
    }

    #[test]
    fn price_ranks_split_at_their_lowest_prices() {
        assert_eq!(price_rank(RANK2_FROM - 1), 0);
        assert_eq!(price_rank(RANK2_FROM), 1);
        assert_eq!(price_rank(RANK3_FROM - 1), 1);
        assert_eq!(price_rank(RANK3_FROM), 2);
    }

    #[test]
    fn distinct_per_rank_counts_a_value_once_per_rank_it_was_seen_at() {
        let agg = distinct_per_rank(|b: &Bid| b.bidder);
        let mut acc = agg.create();
        for b in [
            bid(1, 7, 5),
            bid(2, 7, 6),
            bid(3, 7, RANK3_FROM),
            bid(4, 8, 5),
        ] {
            agg.add(&mut acc, &b, b.date_time);
        }
        let got = agg.finish(&acc);
        assert_eq!(
            got,
            PerRank {
                total: 2,
                rank: [2, 0, 1]
            }
        );
    }

    /// `bids`, added to one accumulator.
    fn fold<A: Aggregate<Bid>>(agg: &A, bids: &[Bid]) -> A::Acc {
        let mut acc = agg.create();
        for b in bids {
            agg.add(&mut acc, b, b.date_time);
        }
        acc
    }

    /// Any split of `bids`, added to two accumulators and merged, gives
    /// what adding them all to one gives.
    fn assert_merges<A>(agg: &A, bids: &[Bid])
    where
        A: Aggregate<Bid>,
        A::Out: PartialEq + std::fmt::Debug,
    {
        let whole = agg.finish(&fold(agg, bids));
        for split in [0, 1, bids.len() / 3, bids.len() - 1, bids.len()] {
            let (a, b) = bids.split_at(split);
            let mut left = fold(agg, a);
            agg.merge(&mut left, &fold(agg, b));
            assert_eq!(agg.finish(&left), whole, "split at {split}");
        }
    }

    /// Values on both sides of a merge count once.
    #[test]
    fn merged_parts_give_the_whole() {
        let all = bids(20_000, DEFAULT_RATE);
        let bidders = distinct_per_rank(|b: &Bid| b.bidder);
        assert_merges(&bidders, &all);
        assert_merges(&distinct_per_rank(|b: &Bid| b.auction), &all);
        assert_merges(&RankedCount, &all);
        let whole = bidders.finish(&fold(&bidders, &all));
        assert!(whole.total < all.len() as u64 / 2, "bidders repeat");
        assert!(whole.rank.iter().all(|&n| n > 0), "every rank has bidders");
    }
}
