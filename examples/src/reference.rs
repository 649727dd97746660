//! Plain single-threaded references of whole Nexmark queries over a slice
//! of [`Bid`]s: the oracle that Laminar's multi-stage pipelines and the
//! peers bench are checked against. Written to be obviously right rather
//! than fast: every bid is put in every window that contains it (a
//! `BTreeMap` from window and key to the list of its bids), and each
//! window's value is computed from that list. The input's order does not
//! matter.
//!
//! # Windows
//!
//! Windows are aligned to multiples of their slide from time 0 (the epoch),
//! as Laminar's are: a bid at time `t` is in the window `[start, start +
//! size)` when `start <= t < start + size`, `start` a multiple of the slide
//! (of the size, for tumbling windows). A window without bids has no row.
//! Every row carries its window's start and end in milliseconds.
//!
//! # The queries
//!
//! The definitions are those of the Nexmark suite's Flink SQL
//! (`nexmark-flink/src/main/resources/queries/q5.sql`, `q7.sql`, `q15.sql`,
//! `q16.sql`, `q17.sql` of the `nexmark/nexmark` repository; RisingWave
//! runs the same SQL):
//!
//! - q5, hot items ([`q5_hot`]): bids per auction per 10 s window sliding
//!   by 2 s, then per window every auction whose count is the window's
//!   maximum (`num >= maxn` in the SQL's join, so ties are all kept).
//! - q7, highest bid ([`q7_highest`]): per 10 s tumbling window, the
//!   highest price. The SQL then lists the bids with that price
//!   ([`q7_highest_bids`]); it joins on `dateTime BETWEEN end - 10 s AND
//!   end`, both ends included, so a bid at exactly a window's end would be
//!   listed for two windows. Here windows are half-open, as everywhere in
//!   Laminar: such a bid belongs to the later window only.
//! - q15, bidding statistics ([`q15`]): per day, the bids, the distinct
//!   bidders and the distinct auctions, in total and per price rank ([`Rank`]:
//!   below 10 000, from 10 000 to below 1 000 000, from 1 000 000 on).
//! - q16, channel statistics ([`q16`]): q15 per channel and day, with the
//!   latest minute of a bid in the group (the SQL's `max(DATE_FORMAT(
//!   dateTime, 'HH:mm'))`, here as that minute's start in ms).
//! - q17, auction statistics ([`q17`]): per auction and day, the bids in
//!   total and per rank, and the lowest, highest, average and total price.
//!   The average is the SQL's `avg` of a `BIGINT`, which is a `BIGINT`: the
//!   total divided by the count, rounded down.
//!
//! A "day" is a tumbling window of [`DAY`], aligned to the epoch (UTC
//! days; the SQL formats the date in the session's time zone). The bids of
//! a test or bench span seconds, all in one day, so each of q15, q16 and
//! q17 also has a `_with` form taking the window size: with 10 s windows,
//! a run has many windows.

use std::collections::{BTreeMap, BTreeSet};

use crate::nexmark::Bid;

/// q5's window size, in ms.
pub const Q5_SIZE: u64 = 10_000;
/// q5's slide, in ms.
pub const Q5_SLIDE: u64 = 2_000;
/// q7's tumbling window, in ms.
pub const Q7_SIZE: u64 = 10_000;
/// A day, q15's to q17's tumbling window, in ms.
pub const DAY: u64 = 86_400_000;
/// A minute, q16's `minute` column's unit, in ms.
pub const MINUTE: u64 = 60_000;

/// The lowest price (in cents) of rank 2; below it is rank 1.
pub const RANK2_FROM: u64 = 10_000;
/// The lowest price (in cents) of rank 3.
pub const RANK3_FROM: u64 = 1_000_000;

/// Starts of the windows `[start, start + size)`, one every `slide` from
/// time 0, that contain `t`, ascending.
pub fn window_starts(t: u64, size: u64, slide: u64) -> impl Iterator<Item = u64> {
    assert!(
        slide > 0 && size > 0 && size.is_multiple_of(slide),
        "the slide divides the size"
    );
    let last = t - t % slide;
    let first = (t + 1).saturating_sub(size).div_ceil(slide) * slide;
    (first..=last).step_by(slide as usize)
}

/// Every bid of `bids` in every window of `size` sliding by `slide` that
/// contains it, grouped by `(window start, key(bid))`.
fn group<K: Ord>(
    bids: &[Bid],
    size: u64,
    slide: u64,
    key: impl Fn(&Bid) -> K,
) -> BTreeMap<(u64, K), Vec<Bid>> {
    let mut groups: BTreeMap<(u64, K), Vec<Bid>> = BTreeMap::new();
    for b in bids {
        for start in window_starts(b.date_time, size, slide) {
            groups.entry((start, key(b))).or_default().push(*b);
        }
    }
    groups
}

/// q5, hot items, on its standard windows: [`q5_hot_with`]`(bids,`
/// [`Q5_SIZE`]`,` [`Q5_SLIDE`]`)`.
pub fn q5_hot(bids: &[Bid]) -> Vec<(u64, u64, u64, u64)> {
    q5_hot_with(bids, Q5_SIZE, Q5_SLIDE)
}

/// q5's first stage: per window of `size` sliding by `slide` and auction,
/// the number of bids, as `(window start, window end, auction, count)`,
/// sorted.
pub fn q5_counts_with(bids: &[Bid], size: u64, slide: u64) -> Vec<(u64, u64, u64, u64)> {
    group(bids, size, slide, |b| b.auction)
        .into_iter()
        .map(|((start, auction), list)| (start, start + size, auction, list.len() as u64))
        .collect()
}

/// q5, hot items: per window of `size` sliding by `slide`, every auction
/// with the most bids in it, as `(window start, window end, auction,
/// count)`, sorted; several rows for a window whose maximum is tied.
pub fn q5_hot_with(bids: &[Bid], size: u64, slide: u64) -> Vec<(u64, u64, u64, u64)> {
    let counts = q5_counts_with(bids, size, slide);
    let mut most: BTreeMap<u64, u64> = BTreeMap::new();
    for &(start, _, _, n) in &counts {
        let m = most.entry(start).or_insert(0);
        *m = (*m).max(n);
    }
    counts
        .into_iter()
        .filter(|(start, _, _, n)| most[start] == *n)
        .collect()
}

/// q7, highest bid, on its standard windows: [`q7_highest_with`]`(bids,`
/// [`Q7_SIZE`]`)`.
pub fn q7_highest(bids: &[Bid]) -> Vec<(u64, u64, u64)> {
    q7_highest_with(bids, Q7_SIZE)
}

/// q7, highest bid: per tumbling window of `size`, the highest price of a
/// bid in it, as `(window start, window end, price)`, sorted.
pub fn q7_highest_with(bids: &[Bid], size: u64) -> Vec<(u64, u64, u64)> {
    group(bids, size, size, |_| ())
        .into_iter()
        .map(|((start, ()), list)| {
            let max = list
                .iter()
                .map(|b| b.price)
                .max()
                .expect("a window has a bid");
            (start, start + size, max)
        })
        .collect()
}

/// q7 as its SQL ends: per tumbling window of `size`, the bids in it whose
/// price is the window's highest, as `(window start, window end, bid)`,
/// sorted.
pub fn q7_highest_bids_with(bids: &[Bid], size: u64) -> Vec<(u64, u64, Bid)> {
    let mut rows: Vec<(u64, u64, Bid)> = group(bids, size, size, |_| ())
        .into_iter()
        .flat_map(|((start, ()), list)| {
            let max = list
                .iter()
                .map(|b| b.price)
                .max()
                .expect("a window has a bid");
            list.into_iter()
                .filter(move |b| b.price == max)
                .map(move |b| (start, start + size, b))
        })
        .collect();
    rows.sort_unstable();
    rows
}

/// [`q7_highest_bids_with`] on q7's standard windows of [`Q7_SIZE`].
pub fn q7_highest_bids(bids: &[Bid]) -> Vec<(u64, u64, Bid)> {
    q7_highest_bids_with(bids, Q7_SIZE)
}

/// A price's rank in q15 to q17.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rank {
    /// Below [`RANK2_FROM`].
    One,
    /// From [`RANK2_FROM`] to below [`RANK3_FROM`].
    Two,
    /// From [`RANK3_FROM`] on.
    Three,
}

impl Rank {
    /// The rank of `price` (cents).
    pub fn of(price: u64) -> Rank {
        if price < RANK2_FROM {
            Rank::One
        } else if price < RANK3_FROM {
            Rank::Two
        } else {
            Rank::Three
        }
    }

    /// 0, 1 or 2: the rank's place in [`Counts::rank`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A count over a group's bids, in total and per [`Rank`] of their price.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Counts {
    /// Over all the group's bids.
    pub total: u64,
    /// Over its bids of rank 1, 2 and 3 ([`Rank::index`]).
    pub rank: [u64; 3],
}

impl Counts {
    /// The number of bids, in total and per rank.
    fn bids(list: &[Bid]) -> Counts {
        let mut counts = Counts {
            total: list.len() as u64,
            rank: [0; 3],
        };
        for b in list {
            counts.rank[Rank::of(b.price).index()] += 1;
        }
        counts
    }

    /// The number of distinct `field(bid)`, over all bids and over the bids
    /// of each rank.
    fn distinct<T: Ord>(list: &[Bid], field: impl Fn(&Bid) -> T) -> Counts {
        let all: BTreeSet<T> = list.iter().map(&field).collect();
        let of = |rank: Rank| -> u64 {
            let set: BTreeSet<T> = list
                .iter()
                .filter(|b| Rank::of(b.price) == rank)
                .map(&field)
                .collect();
            set.len() as u64
        };
        Counts {
            total: all.len() as u64,
            rank: [of(Rank::One), of(Rank::Two), of(Rank::Three)],
        }
    }
}

/// q15's and q16's statistics of a group of bids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BidStats {
    /// Bids (`total_bids`, `rank1_bids`, ...).
    pub bids: Counts,
    /// Distinct bidders (`total_bidders`, `rank1_bidders`, ...).
    pub bidders: Counts,
    /// Distinct auctions (`total_auctions`, `rank1_auctions`, ...).
    pub auctions: Counts,
}

impl BidStats {
    /// The statistics of `list`.
    pub fn of(list: &[Bid]) -> BidStats {
        BidStats {
            bids: Counts::bids(list),
            bidders: Counts::distinct(list, |b| b.bidder),
            auctions: Counts::distinct(list, |b| b.auction),
        }
    }
}

/// A row of q15: one window's statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Q15Row {
    /// The window's start, ms.
    pub start: u64,
    /// Its end, ms.
    pub end: u64,
    /// The statistics of its bids.
    pub stats: BidStats,
}

/// q15 per [`DAY`].
pub fn q15(bids: &[Bid]) -> Vec<Q15Row> {
    q15_with(bids, DAY)
}

/// q15, bidding statistics, per tumbling window of `size`, sorted (by
/// window).
pub fn q15_with(bids: &[Bid], size: u64) -> Vec<Q15Row> {
    group(bids, size, size, |_| ())
        .into_iter()
        .map(|((start, ()), list)| Q15Row {
            start,
            end: start + size,
            stats: BidStats::of(&list),
        })
        .collect()
}

/// A row of q16: one channel's statistics in one window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Q16Row {
    /// The window's start, ms.
    pub start: u64,
    /// Its end, ms.
    pub end: u64,
    /// The channel ([`crate::nexmark::channel_id`]).
    pub channel: u32,
    /// The start (ms) of the minute of the group's latest bid.
    pub minute: u64,
    /// The statistics of the channel's bids in the window.
    pub stats: BidStats,
}

/// q16 per [`DAY`].
pub fn q16(bids: &[Bid]) -> Vec<Q16Row> {
    q16_with(bids, DAY)
}

/// q16, channel statistics, per channel and tumbling window of `size`,
/// sorted (by window, then channel).
pub fn q16_with(bids: &[Bid], size: u64) -> Vec<Q16Row> {
    group(bids, size, size, |b| b.channel)
        .into_iter()
        .map(|((start, channel), list)| {
            let latest = list.iter().map(|b| b.date_time).max().expect("a bid");
            Q16Row {
                start,
                end: start + size,
                channel,
                minute: latest - latest % MINUTE,
                stats: BidStats::of(&list),
            }
        })
        .collect()
}

/// A row of q17: one auction's statistics in one window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Q17Row {
    /// The window's start, ms.
    pub start: u64,
    /// Its end, ms.
    pub end: u64,
    /// The auction.
    pub auction: u64,
    /// Its bids in the window, in total and per rank.
    pub bids: Counts,
    /// Their lowest price.
    pub min_price: u64,
    /// Their highest price.
    pub max_price: u64,
    /// Their average price, rounded down.
    pub avg_price: u64,
    /// Their total price.
    pub sum_price: u64,
}

/// q17 per [`DAY`].
pub fn q17(bids: &[Bid]) -> Vec<Q17Row> {
    q17_with(bids, DAY)
}

/// q17, auction statistics, per auction and tumbling window of `size`,
/// sorted (by window, then auction).
pub fn q17_with(bids: &[Bid], size: u64) -> Vec<Q17Row> {
    group(bids, size, size, |b| b.auction)
        .into_iter()
        .map(|((start, auction), list)| {
            let prices = || list.iter().map(|b| b.price);
            let sum: u64 = prices().sum();
            Q17Row {
                start,
                end: start + size,
                auction,
                bids: Counts::bids(&list),
                min_price: prices().min().expect("a bid"),
                max_price: prices().max().expect("a bid"),
                avg_price: sum / list.len() as u64,
                sum_price: sum,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nexmark::{DEFAULT_RATE, bids};

    fn bid(auction: u64, bidder: u64, price: u64, date_time: u64, channel: u32) -> Bid {
        Bid {
            auction,
            bidder,
            price,
            date_time,
            channel,
        }
    }

    /// Auction `a`'s bid at `t`, by bidder 1, price 1, channel 0.
    fn at(a: u64, t: u64) -> Bid {
        bid(a, 1, 1, t, 0)
    }

    #[test]
    fn window_starts_include_the_start_and_exclude_the_end() {
        let starts = |t| window_starts(t, 10, 2).collect::<Vec<_>>();
        assert_eq!(starts(0), [0]);
        assert_eq!(starts(1), [0]);
        assert_eq!(starts(2), [0, 2]);
        assert_eq!(starts(9), [0, 2, 4, 6, 8]);
        // 10 is the end of [0, 10): not in it.
        assert_eq!(starts(10), [2, 4, 6, 8, 10]);
        assert_eq!(starts(11), [2, 4, 6, 8, 10]);
        assert_eq!(window_starts(25, 10, 10).collect::<Vec<_>>(), [20]);
        assert_eq!(window_starts(20, 10, 10).collect::<Vec<_>>(), [20]);
    }

    #[test]
    fn q5_keeps_every_auction_tied_for_the_most_bids() {
        // size 4, slide 2: windows [0,4), [2,6), [4,8), ...
        let bids = [
            at(1, 0),
            at(2, 1),
            at(2, 3),
            at(1, 3),
            // At 4: the end of [0,4), in [2,6) and [4,8).
            at(3, 4),
            at(3, 5),
        ];
        // [-2,2) does not exist: windows start at 0.
        // [0,4): 1 x2, 2 x2 -> tie. [2,6): 2 x1, 1 x1, 3 x2 -> 3.
        // [4,8): 3 x2.
        assert_eq!(
            q5_hot_with(&bids, 4, 2),
            [(0, 4, 1, 2), (0, 4, 2, 2), (2, 6, 3, 2), (4, 8, 3, 2)]
        );
        assert_eq!(
            q5_counts_with(&bids, 4, 2),
            [
                (0, 4, 1, 2),
                (0, 4, 2, 2),
                (2, 6, 1, 1),
                (2, 6, 2, 1),
                (2, 6, 3, 2),
                (4, 8, 3, 2)
            ]
        );
    }

    #[test]
    fn q5_has_no_row_for_an_empty_window() {
        // Bids at 1 and at 11 with windows of 4 sliding by 2: [0,4) holds
        // the first, [8,12) and [10,14) the second; [2,6) to [6,10) hold
        // none and have no row.
        let bids = [at(7, 1), at(8, 11)];
        assert_eq!(
            q5_hot_with(&bids, 4, 2),
            [(0, 4, 7, 1), (8, 12, 8, 1), (10, 14, 8, 1)]
        );
        assert!(q5_hot(&[]).is_empty());
    }

    #[test]
    fn q5_on_its_standard_windows() {
        // A bid at exactly 10 000 is in [2 000, 12 000) to [10 000, 20 000)
        // but not in [0, 10 000).
        let bids = [at(1, 9_999), at(2, 10_000), at(2, 10_001)];
        let hot = q5_hot(&bids);
        assert_eq!(hot[0], (0, 10_000, 1, 1));
        for start in [2_000, 4_000, 6_000, 8_000, 10_000] {
            assert!(hot.contains(&(start, start + 10_000, 2, 2)), "{start}");
        }
        assert_eq!(hot.len(), 6);
    }

    #[test]
    fn q7_is_the_highest_price_per_window() {
        let bids = [
            bid(1, 1, 50, 0, 0),
            bid(2, 1, 70, 9, 0),
            bid(3, 2, 70, 5, 0),
            // The end of [0,10): the next window's.
            bid(4, 3, 90, 10, 0),
            // [20,30) is empty; [30,40) holds one bid.
            bid(5, 3, 10, 39, 0),
        ];
        assert_eq!(
            q7_highest_with(&bids, 10),
            [(0, 10, 70), (10, 20, 90), (30, 40, 10)]
        );
        assert_eq!(
            q7_highest_bids_with(&bids, 10),
            [
                (0, 10, bids[1]),
                (0, 10, bids[2]),
                (10, 20, bids[3]),
                (30, 40, bids[4])
            ]
        );
        assert_eq!(q7_highest(&bids), [(0, 10_000, 90)]);
    }

    #[test]
    fn ranks_split_at_ten_thousand_and_a_million() {
        assert_eq!(Rank::of(0), Rank::One);
        assert_eq!(Rank::of(9_999), Rank::One);
        assert_eq!(Rank::of(10_000), Rank::Two);
        assert_eq!(Rank::of(999_999), Rank::Two);
        assert_eq!(Rank::of(1_000_000), Rank::Three);
        assert_eq!(Rank::of(u64::MAX), Rank::Three);
    }

    /// Bids in two windows of 100: in [0,100), bidders 1 and 2 on auctions
    /// 10 and 11 at prices of every rank, on channels 0 and 5; in
    /// [100,200), one bid at time 100, exactly the first window's end.
    fn stats_bids() -> Vec<Bid> {
        vec![
            bid(10, 1, 9_999, 0, 0),
            bid(10, 1, 10_000, 10, 0),
            bid(10, 2, 10_000, 20, 5),
            bid(11, 2, 999_999, 30, 5),
            bid(11, 1, 1_000_000, 99, 0),
            bid(12, 3, 5, 100, 5),
        ]
    }

    #[test]
    fn q15_counts_bids_and_distinct_bidders_and_auctions_per_rank() {
        let rows = q15_with(&stats_bids(), 100);
        let first = BidStats {
            // ranks: 1 bid below 10 000, 3 from 10 000 to 999 999, 1 above.
            bids: Counts {
                total: 5,
                rank: [1, 3, 1],
            },
            // rank 2: bidders 1 and 2; rank 1 and 3: bidder 1.
            bidders: Counts {
                total: 2,
                rank: [1, 2, 1],
            },
            // rank 2: auctions 10 and 11; rank 1: 10; rank 3: 11.
            auctions: Counts {
                total: 2,
                rank: [1, 2, 1],
            },
        };
        let one = Counts {
            total: 1,
            rank: [1, 0, 0],
        };
        let second = BidStats {
            bids: one,
            bidders: one,
            auctions: one,
        };
        assert_eq!(
            rows,
            [
                Q15Row {
                    start: 0,
                    end: 100,
                    stats: first
                },
                Q15Row {
                    start: 100,
                    end: 200,
                    stats: second
                }
            ]
        );
        // A day holds them all.
        let day = q15(&stats_bids());
        assert_eq!(day.len(), 1);
        assert_eq!((day[0].start, day[0].end), (0, DAY));
        assert_eq!(day[0].stats.bids.total, 6);
        assert_eq!(day[0].stats.bidders.total, 3);
        assert_eq!(day[0].stats.auctions.rank, [2, 2, 1]);
    }

    #[test]
    fn q16_is_q15_per_channel_with_the_latest_minute() {
        let rows = q16_with(&stats_bids(), 100);
        assert_eq!(rows.len(), 3);
        let (c0, c5, later) = (rows[0], rows[1], rows[2]);
        assert_eq!((c0.start, c0.end, c0.channel), (0, 100, 0));
        assert_eq!(
            c0.stats.bids,
            Counts {
                total: 3,
                rank: [1, 1, 1]
            }
        );
        assert_eq!(
            c0.stats.bidders,
            Counts {
                total: 1,
                rank: [1, 1, 1]
            }
        );
        assert_eq!(
            c0.stats.auctions,
            Counts {
                total: 2,
                rank: [1, 1, 1]
            }
        );
        assert_eq!((c5.start, c5.channel), (0, 5));
        assert_eq!(
            c5.stats.bids,
            Counts {
                total: 2,
                rank: [0, 2, 0]
            }
        );
        assert_eq!(
            c5.stats.bidders,
            Counts {
                total: 1,
                rank: [0, 1, 0]
            }
        );
        assert_eq!(
            c5.stats.auctions,
            Counts {
                total: 2,
                rank: [0, 2, 0]
            }
        );
        assert_eq!((later.start, later.channel), (100, 5));
        // All within the first minute.
        assert!(rows.iter().all(|r| r.minute == 0));
        // The latest bid's minute, not the earliest's.
        let minutes = q16(&[at(1, 59_999), at(1, 60_000), at(1, 130_000)]);
        assert_eq!(minutes.len(), 1);
        assert_eq!(minutes[0].minute, 120_000);
    }

    #[test]
    fn q17_is_per_auction_with_min_max_floor_average_and_sum() {
        let rows = q17_with(&stats_bids(), 100);
        assert_eq!(
            rows,
            [
                Q17Row {
                    start: 0,
                    end: 100,
                    auction: 10,
                    bids: Counts {
                        total: 3,
                        rank: [1, 2, 0]
                    },
                    min_price: 9_999,
                    max_price: 10_000,
                    // 29 999 / 3, rounded down.
                    avg_price: 9_999,
                    sum_price: 29_999,
                },
                Q17Row {
                    start: 0,
                    end: 100,
                    auction: 11,
                    bids: Counts {
                        total: 2,
                        rank: [0, 1, 1]
                    },
                    min_price: 999_999,
                    max_price: 1_000_000,
                    // 1 999 999 / 2, rounded down.
                    avg_price: 999_999,
                    sum_price: 1_999_999,
                },
                Q17Row {
                    start: 100,
                    end: 200,
                    auction: 12,
                    bids: Counts {
                        total: 1,
                        rank: [1, 0, 0]
                    },
                    min_price: 5,
                    max_price: 5,
                    avg_price: 5,
                    sum_price: 5,
                },
            ]
        );
    }

    /// On generated bids, the queries agree with each other where they
    /// must: q16's and q17's bids add up to q15's, q17 has a row per
    /// distinct auction of q15, q7's highest is q17's highest maximum, and
    /// q5's hot counts are the highest of its first stage.
    #[test]
    fn the_queries_agree_on_generated_bids() {
        // A tenth of the default rate: about 33 s of event time.
        let bids = bids(30_000, DEFAULT_RATE / 10);
        let q15 = q15_with(&bids, Q7_SIZE);
        let q16 = q16_with(&bids, Q7_SIZE);
        let q17 = q17_with(&bids, Q7_SIZE);
        let q7 = q7_highest(&bids);
        assert!(q15.len() >= 3, "several windows");
        assert_eq!(q7.len(), q15.len());
        for (row, &(start, end, max)) in q15.iter().zip(&q7) {
            assert_eq!((row.start, row.end), (start, end));
            let channels: Vec<_> = q16.iter().filter(|r| r.start == start).collect();
            let auctions: Vec<_> = q17.iter().filter(|r| r.start == start).collect();
            assert!(channels.len() > 4, "hot and other channels");
            let total = |c: &[u64]| c.iter().sum::<u64>();
            assert_eq!(
                total(
                    &channels
                        .iter()
                        .map(|r| r.stats.bids.total)
                        .collect::<Vec<_>>()
                ),
                row.stats.bids.total
            );
            assert_eq!(
                total(&auctions.iter().map(|r| r.bids.total).collect::<Vec<_>>()),
                row.stats.bids.total
            );
            assert_eq!(auctions.len() as u64, row.stats.auctions.total);
            assert_eq!(auctions.iter().map(|r| r.max_price).max(), Some(max));
            let b = row.stats.bids;
            assert_eq!(b.rank.iter().sum::<u64>(), b.total);
            assert!(row.stats.bidders.total <= b.total);
        }
        // The whole day: one row, every bid.
        assert_eq!(q15_with(&bids, DAY).len(), 1);
        assert_eq!(q15_with(&bids, DAY)[0].stats.bids.total, 30_000);

        let counts = q5_counts_with(&bids, Q5_SIZE, Q5_SLIDE);
        let hot = q5_hot(&bids);
        let windows: BTreeSet<u64> = counts.iter().map(|r| r.0).collect();
        let hot_windows: BTreeSet<u64> = hot.iter().map(|r| r.0).collect();
        assert_eq!(
            windows, hot_windows,
            "every window with bids has a hot item"
        );
        for &(start, _, _, n) in &hot {
            let most = counts.iter().filter(|r| r.0 == start).map(|r| r.3).max();
            assert_eq!(most, Some(n));
        }
    }

    #[test]
    fn generated_bids_have_hot_and_other_channels() {
        let bids = bids(10_000, DEFAULT_RATE);
        let hot = bids.iter().filter(|b| b.channel < 4).count();
        // Half the bids, give or take.
        assert!((4_000..6_000).contains(&hot), "{hot} on hot channels");
        assert!(bids.iter().all(|b| b.channel < 4 + 10_000));
    }
}
