//! The peers bench: the same Nexmark bids through a hand-written loop,
//! Laminar (one thread's fused chain, the runtime) and its peers (timely
//! dataflow, renoir), every system's output checked against the hand
//! loop's. The `peers` binary times them in interleaved rounds.
//!
//! Each system is one entry of [`SYSTEMS`]: a name, the cores it runs on,
//! and a function that runs one query over the bids and returns the
//! [`Digest`] of its output, or `None` where the system cannot express the
//! query. Adding a system is adding an entry.
//!
//! The queries ([`Query`]) are Nexmark's q0, q1, q2, q5 and q7 as
//! `laminar_benches::nexmark` and `laminar_examples::nexmark` define them
//! (q5 and q7 their keyed part), and q5 and q7 whole, as
//! `laminar_examples::reference` defines them: every system computes the
//! same rows, in whatever order it emits them.
//!
//! The join queries, q4 and q8, read persons and auctions as well as bids:
//! they are in [`joins`], with systems of their own (Laminar and timely,
//! checked against `laminar_examples::reference_joins`), timed by the
//! `peers_joins` binary.

use std::sync::Arc;

use laminar::{Emit, Windowed};
use laminar_examples::nexmark::Bid;

pub mod hand;
pub mod joins;
pub mod laminar_rt;
pub mod panes;
pub mod renoir;
pub mod timely;

/// q7's tumbling window, and q5's sliding window size, in milliseconds.
pub const WINDOW: u64 = 10_000;
/// q5's slide, in milliseconds.
pub const SLIDE: u64 = 2_000;

/// How far event time moves between two watermarks (renoir) or two epochs
/// (timely) at a peer's source, in milliseconds: about 4,600 bids at
/// Nexmark's default rate, well under q5's 2 s slide, so no window waits
/// long for it. Laminar's input handle sends its own watermarks (every 256
/// events of a batch), and the fused chain gets one every 64 events.
pub const TIME_STEP: u64 = 500;

/// A query of the bench.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    /// Passthrough: every bid.
    Q0,
    /// Currency conversion: every bid, its price in euros.
    Q1,
    /// Selection: `(auction, price)` of one auction in 123.
    Q2,
    /// Hot items' keyed part: bids per auction per 10 s window sliding by
    /// 2 s.
    Q5,
    /// Highest bid's keyed part: the highest price per auction per 10 s
    /// tumbling window.
    Q7,
    /// Hot items, whole: per window of [`Query::Q5`], the auctions with the
    /// most bids, as `(window start, window end, auction, count)`.
    Q5Hot,
    /// Highest bid, whole: per window of [`Query::Q7`], the highest price
    /// over all auctions, as `(window start, window end, price)`.
    Q7Highest,
}

impl Query {
    /// Every query, in the order the tables show them.
    pub const ALL: [Query; 7] = [
        Query::Q0,
        Query::Q1,
        Query::Q2,
        Query::Q5,
        Query::Q7,
        Query::Q5Hot,
        Query::Q7Highest,
    ];

    /// The query's name: `q0` to `q7`, `q5-hot`, `q7-highest`.
    pub fn name(self) -> &'static str {
        match self {
            Query::Q0 => "q0",
            Query::Q1 => "q1",
            Query::Q2 => "q2",
            Query::Q5 => "q5",
            Query::Q7 => "q7",
            Query::Q5Hot => "q5-hot",
            Query::Q7Highest => "q7-highest",
        }
    }
}

/// A system of the bench: one row of its tables.
#[derive(Clone, Copy, Debug)]
pub struct System {
    /// The row's name.
    pub name: &'static str,
    /// Its family: the ratios compare a system with the [`Family::Runtime`]
    /// and the [`Family::Timely`] entries of the same `cores`, and with the
    /// [`Family::Hand`] one.
    pub family: Family,
    /// Threads (cores, workers, replicas) it spreads the query over.
    pub cores: usize,
    /// Runs `query` over the bids; `None` where the system cannot express
    /// it.
    pub run: fn(Query, &Arc<[Bid]>) -> Option<Digest>,
}

/// What a system is, for the ratio columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// A hand-written loop: the reference of the third ratio column.
    Hand,
    /// Laminar's fused chain, driven on the calling thread.
    Chain,
    /// Laminar's runtime fed through an input handle: the reference of the
    /// first ratio column.
    Runtime,
    /// Another way of running Laminar's runtime.
    Laminar,
    /// timely dataflow: the reference of the second ratio column.
    Timely,
    /// renoir.
    Renoir,
}

/// Every system the bench runs, in the order of its tables. The hand loop
/// comes first: its output is the one every other is checked against.
pub const SYSTEMS: &[System] = &[
    System {
        name: "hand-written loop",
        family: Family::Hand,
        cores: 1,
        run: hand::run,
    },
    System {
        name: "Laminar chain, one thread",
        family: Family::Chain,
        cores: 1,
        run: laminar_rt::chain,
    },
    System {
        name: "Laminar runtime, 1 core, input handle",
        family: Family::Runtime,
        cores: 1,
        run: |q, bids| laminar_rt::runtime(q, bids, 1),
    },
    System {
        name: "Laminar runtime, 2 cores, input handle",
        family: Family::Runtime,
        cores: 2,
        run: |q, bids| laminar_rt::runtime(q, bids, 2),
    },
    System {
        name: "Laminar runtime, 1 core, source, rows drained by the caller",
        family: Family::Laminar,
        cores: 1,
        run: |q, bids| laminar_rt::source(q, bids, 1),
    },
    System {
        name: "Laminar runtime, 2 cores, source, rows drained by the caller",
        family: Family::Laminar,
        cores: 2,
        run: |q, bids| laminar_rt::source(q, bids, 2),
    },
    System {
        name: "Laminar runtime, 1 core, source, rows digested in the core",
        family: Family::Laminar,
        cores: 1,
        run: |q, bids| laminar_rt::source_digesting(q, bids, 1),
    },
    System {
        name: "Laminar runtime, 2 cores, source, rows digested in the cores",
        family: Family::Laminar,
        cores: 2,
        run: |q, bids| laminar_rt::source_digesting(q, bids, 2),
    },
    System {
        name: "Laminar runtime, 1 core, source, keyed after a map (an exchange)",
        family: Family::Laminar,
        cores: 1,
        run: |q, bids| laminar_rt::keyed_mid_pipeline(q, bids, 1),
    },
    System {
        name: "Laminar runtime, 2 cores, source, keyed after a map (an exchange)",
        family: Family::Laminar,
        cores: 2,
        run: |q, bids| laminar_rt::keyed_mid_pipeline(q, bids, 2),
    },
    System {
        name: "timely, 1 worker",
        family: Family::Timely,
        cores: 1,
        run: |q, bids| timely::run(q, bids, 1),
    },
    System {
        name: "timely, 2 workers",
        family: Family::Timely,
        cores: 2,
        run: |q, bids| timely::run(q, bids, 2),
    },
    System {
        name: "renoir, 1 replica",
        family: Family::Renoir,
        cores: 1,
        run: |q, bids| renoir::run(q, bids, 1, renoir::Windows::Panes),
    },
    System {
        name: "renoir, 2 replicas",
        family: Family::Renoir,
        cores: 2,
        run: |q, bids| renoir::run(q, bids, 2, renoir::Windows::Panes),
    },
    System {
        name: "renoir, 1 replica, its own windows",
        family: Family::Renoir,
        cores: 1,
        run: |q, bids| renoir::run(q, bids, 1, renoir::Windows::Own),
    },
    System {
        name: "renoir, 2 replicas, its own windows",
        family: Family::Renoir,
        cores: 2,
        run: |q, bids| renoir::run(q, bids, 2, renoir::Windows::Own),
    },
];

/// What a system's output is checked by: how many rows it had and a sum of
/// a hash of each row, which does not depend on their order. Every system
/// folds its rows into one the same way, as part of the timed run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Digest {
    /// Rows.
    pub rows: u64,
    /// Wrapping sum of [`mix`] of each row.
    pub sum: u64,
}

impl Digest {
    /// Folds in one row.
    #[inline]
    pub fn add(&mut self, row: [u64; 4]) {
        self.rows += 1;
        self.sum = self.sum.wrapping_add(mix(row));
    }

    /// Folds in another digest, as if its rows were added here.
    pub fn merge(&mut self, other: Digest) {
        self.rows += other.rows;
        self.sum = self.sum.wrapping_add(other.sum);
    }
}

impl<T: Row> Emit<T> for Digest {
    #[inline]
    fn emit(&mut self, item: T) {
        self.add(item.row());
    }
}

/// A 64-bit hash of a row (a multiply-rotate per field, then a final
/// mix), so that a sum of them tells multisets of rows apart.
#[inline]
pub fn mix(row: [u64; 4]) -> u64 {
    let mut h: u64 = 0x243F_6A88_85A3_08D3;
    for x in row {
        h = (h ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
    h ^= h >> 32;
    h.wrapping_mul(0xFF51_AFD7_ED55_8CCD)
}

/// An output row of one of the queries, as four numbers: what every
/// system's output is reduced to before it is digested.
pub trait Row {
    /// The row's fields, zero-padded.
    fn row(&self) -> [u64; 4];
}

/// q0 and q1: the bid's fields.
impl Row for Bid {
    #[inline]
    fn row(&self) -> [u64; 4] {
        [self.auction, self.bidder, self.price, self.date_time]
    }
}

/// q2: `(auction, price)`.
impl Row for (u64, u64) {
    #[inline]
    fn row(&self) -> [u64; 4] {
        [self.0, self.1, 0, 0]
    }
}

/// q5 and q7, as the hand loop and the peers make them: `(auction, window
/// start, value)`; and q7 whole: `(window start, window end, price)`.
impl Row for (u64, u64, u64) {
    #[inline]
    fn row(&self) -> [u64; 4] {
        [self.0, self.1, self.2, 0]
    }
}

/// q5 whole: `(window start, window end, auction, count)`.
impl Row for (u64, u64, u64, u64) {
    #[inline]
    fn row(&self) -> [u64; 4] {
        [self.0, self.1, self.2, self.3]
    }
}

/// q5 from Laminar: a count per auction and window.
impl Row for Windowed<u64, u64> {
    #[inline]
    fn row(&self) -> [u64; 4] {
        (self.key, self.start, self.value).row()
    }
}

/// q7 from Laminar: a maximum per auction and window (a window is made by
/// a bid, so it always has one).
impl Row for Windowed<u64, Option<u64>> {
    #[inline]
    fn row(&self) -> [u64; 4] {
        (self.key, self.start, self.value.unwrap_or(u64::MAX)).row()
    }
}

/// Starts of the q5 windows (size [`WINDOW`], slide [`SLIDE`], aligned to
/// time 0) that contain time `t`, ascending: Laminar's sliding windows.
#[inline]
pub fn q5_windows(t: u64) -> impl Iterator<Item = u64> {
    let last = t - t % SLIDE;
    let first = (t + 1).saturating_sub(WINDOW).div_ceil(SLIDE) * SLIDE;
    (first..=last).step_by(SLIDE as usize)
}

/// Start of the q7 window that contains time `t`.
#[inline]
pub fn q7_window(t: u64) -> u64 {
    t - t % WINDOW
}

#[cfg(test)]
mod tests {
    use laminar_examples::nexmark::{DEFAULT_RATE, bids};

    use super::*;

    /// Every system gives the hand loop's output on every query it can
    /// express, on 1 and 2 cores: what the bench asserts on each timed run,
    /// here on few bids.
    #[test]
    fn every_system_agrees_with_the_hand_loop() {
        let bids: Arc<[Bid]> = bids(60_000, DEFAULT_RATE).into();
        for query in Query::ALL {
            let expected = hand::run(query, &bids).expect("the hand loop runs every query");
            assert!(expected.rows > 0, "{} has rows", query.name());
            for system in SYSTEMS {
                if let Some(got) = (system.run)(query, &bids) {
                    assert_eq!(got, expected, "{} on {}", system.name, query.name());
                }
            }
        }
    }

    /// The hand loop's whole q5 and q7, and timely's on 1 and 2 workers,
    /// are the plain references' of `laminar_examples::reference`, on
    /// 100 000 bids at a tenth of Nexmark's rate (about 110 s of event
    /// time: 11 tumbling and 55 sliding windows), and on bids where every
    /// window's hot items are tied.
    #[test]
    fn whole_queries_are_the_references() {
        let generated = bids(100_000, DEFAULT_RATE / 10);
        check_whole_queries(&generated, 55);
        // Every bid twice, on two auctions: every window's hot item is tied
        // with its twin.
        let twins: Vec<Bid> = generated[..20_000]
            .iter()
            .flat_map(|&b| {
                let twin = Bid {
                    auction: b.auction + (1 << 40),
                    ..b
                };
                [b, twin]
            })
            .collect();
        let windows = check_whole_queries(&twins, 10);
        let hot = laminar_examples::reference::q5_hot(&twins);
        assert!(hot.len() >= 2 * windows, "ties kept");
    }

    /// Checks the hand loop's and timely's whole q5 and q7 on `bids`
    /// against the references, with at least `windows` sliding windows;
    /// returns how many there were.
    fn check_whole_queries(bids: &[Bid], windows: usize) -> usize {
        use laminar_examples::reference;
        let digest = |rows: &mut dyn Iterator<Item = [u64; 4]>| {
            let mut d = Digest::default();
            rows.for_each(|r| d.add(r));
            d
        };
        let hot = reference::q5_hot(bids);
        let highest = reference::q7_highest(bids);
        let sliding: std::collections::BTreeSet<u64> = hot.iter().map(|r| r.0).collect();
        assert!(sliding.len() >= windows, "{} windows", sliding.len());
        assert!(
            highest.len() >= windows / 5,
            "{} tumbling windows",
            highest.len()
        );
        let bids: Arc<[Bid]> = bids.into();
        let cases = [
            (Query::Q5Hot, digest(&mut hot.iter().map(Row::row))),
            (Query::Q7Highest, digest(&mut highest.iter().map(Row::row))),
        ];
        for (query, want) in cases {
            assert_eq!(
                hand::run(query, &bids),
                Some(want),
                "hand, {}",
                query.name()
            );
            for workers in [1, 2] {
                assert_eq!(
                    timely::run(query, &bids, workers),
                    Some(want),
                    "timely on {workers} workers, {}",
                    query.name()
                );
            }
        }
        sliding.len()
    }

    /// A digest tells apart outputs that differ in one field of one row,
    /// and does not depend on the order of the rows.
    #[test]
    fn digest_is_of_the_multiset_of_rows() {
        let rows = [[1, 2, 3, 0], [4, 5, 6, 0], [7, 8, 9, 0]];
        let digest = |rows: &[[u64; 4]]| {
            let mut d = Digest::default();
            rows.iter().for_each(|&r| d.add(r));
            d
        };
        let mut reversed = rows;
        reversed.reverse();
        assert_eq!(digest(&rows), digest(&reversed));
        let mut changed = rows;
        changed[1][2] += 1;
        assert_ne!(digest(&rows), digest(&changed));
        let mut swapped = rows;
        swapped[0].swap(0, 1);
        assert_ne!(digest(&rows), digest(&swapped));
    }
}
