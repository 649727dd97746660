//! Plain single-threaded references of the Nexmark queries that join
//! streams (q3, q4, q6, q8, q9), over slices of [`Person`]s, [`Auction`]s
//! and [`Bid`]s (split from [`crate::nexmark_events::events`]): the oracle
//! that Laminar's join pipelines are to be checked against. Like
//! [`mod@crate::reference`], written to be obviously right rather than fast:
//! each stream is grouped by its join key in a `BTreeMap`, and each row is
//! computed from those lists. The input's order does not matter (but for
//! q3 on two versions of a person at the same millisecond). Every result is
//! sorted.
//!
//! # The queries
//!
//! The definitions are those of the Nexmark suite's SQL (`q3.sql` to
//! `q9.sql` of the `nexmark/nexmark` repository, which RisingWave also
//! runs), with these choices where a stream processor must make one:
//!
//! - q3, local item suggestion ([`q3`]): auctions of category 10 by a
//!   seller in Oregon, Idaho or California, as `(name, city, state,
//!   auction)` of the seller and the auction. The SQL joins the two
//!   streams as tables (`auction A JOIN person P ON A.seller = P.id`);
//!   here it is a stream-table join: each auction is joined with the
//!   person table *as of the auction's time*, that is with the latest
//!   person of that id whose `date_time` is at most the auction's (on a
//!   tie, the last of them in the input). An auction whose seller comes
//!   later matches nothing, where the SQL's join would match it when the
//!   seller arrives; the generator makes such sellers (up to 10 persons
//!   ahead, see [`crate::nexmark_events`]).
//! - q9, winning bids ([`q9`]): per auction, its winning bid: among the
//!   bids on it whose time is from the auction's `date_time` to its
//!   `expires`, both included (the SQL's `BETWEEN`), the highest price,
//!   then the earliest time (the SQL's `ORDER BY B.price DESC, B.dateTime
//!   ASC`), then, where the SQL leaves it open, the least bid by [`Bid`]'s
//!   order (so the lowest bidder). An auction without such a bid has no
//!   winner and no row. The reserve price is not checked, as in the SQL
//!   (Beam's Java queries drop bids below it). The end of the input closes
//!   every auction: a bid that is not in the input does not count.
//! - q4, average price per category ([`q4`]): per category, the average
//!   of its auctions' winning prices (q9's), as the sum and the count of
//!   those prices, so that results compare exactly; the SQL's `AVG` of a
//!   `BIGINT` is `sum / count`, rounded down.
//! - q6, average selling price by seller ([`q6`]): per seller, the average
//!   winning price of their last 10 auctions that have a winner, "last"
//!   by expiry (then auction id), as sum and count (below 10 for a seller
//!   with fewer). One row per seller, the value after all the input: the
//!   SQL's `OVER (PARTITION BY seller ... ROWS BETWEEN 10 PRECEDING AND
//!   CURRENT ROW)` (a query the suite marks as unsupported by streaming
//!   Flink) gives a row per closed auction instead, over up to 11 of them;
//!   Beam's description, "the last 10 closed auctions", is followed here.
//! - q8, monitor new users ([`q8`]): the persons who opened an account and
//!   created an auction in the same 10 s tumbling window of event time, as
//!   `(person id, name, window start)`, once each. Windows are aligned to
//!   the epoch and half-open, as in [`mod@crate::reference`]; within a
//!   window, the auction may come before the person.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use crate::nexmark::Bid;
use crate::nexmark_events::{Auction, Person};

/// q3's category.
pub const Q3_CATEGORY: u64 = 10;
/// q3's states, as [`crate::nexmark_events::state_code`] writes them.
pub const Q3_STATES: [[u8; 2]; 3] = [*b"OR", *b"ID", *b"CA"];
/// q6's number of last auctions per seller.
pub const Q6_LAST: usize = 10;
/// q8's tumbling window, in ms.
pub const Q8_SIZE: u64 = 10_000;

/// A row of q3: the seller's name, city and state
/// ([`crate::nexmark_events::name_id`], [`crate::nexmark_events::city_id`],
/// [`crate::nexmark_events::state_code`]) and the auction's id.
pub type Q3Row = (u32, u32, [u8; 2], u64);

/// q3, local item suggestion: the auctions of category [`Q3_CATEGORY`]
/// whose seller, as of the auction's time, is in one of [`Q3_STATES`],
/// sorted.
pub fn q3(persons: &[Person], auctions: &[Auction]) -> Vec<Q3Row> {
    let mut versions: BTreeMap<u64, Vec<Person>> = BTreeMap::new();
    for p in persons {
        versions.entry(p.id).or_default().push(*p);
    }
    let mut rows: Vec<Q3Row> = auctions
        .iter()
        .filter(|a| a.category == Q3_CATEGORY)
        .filter_map(|a| {
            // `max_by_key` keeps the last of equal keys: the last in the
            // input of two versions at the same millisecond.
            let seller = versions
                .get(&a.seller)?
                .iter()
                .filter(|p| p.date_time <= a.date_time)
                .max_by_key(|p| p.date_time)?;
            Q3_STATES.contains(&seller.state).then_some((
                seller.name,
                seller.city,
                seller.state,
                a.id,
            ))
        })
        .collect();
    rows.sort_unstable();
    rows
}

/// Whether `b` counts for auction `a`: a bid on it from its opening to its
/// expiry, both included.
pub fn in_time(a: &Auction, b: &Bid) -> bool {
    b.auction == a.id && a.date_time <= b.date_time && b.date_time <= a.expires
}

/// Each auction that has a winning bid, with it, sorted by auction. Panics
/// if two auctions share an id: the queries group by auction id, and the
/// generator never repeats one.
fn winners(auctions: &[Auction], bids: &[Bid]) -> Vec<(Auction, Bid)> {
    let mut bids_of: BTreeMap<u64, Vec<Bid>> = BTreeMap::new();
    for b in bids {
        bids_of.entry(b.auction).or_default().push(*b);
    }
    let mut ids = BTreeSet::new();
    let mut rows: Vec<(Auction, Bid)> = auctions
        .iter()
        .filter_map(|a| {
            assert!(ids.insert(a.id), "auction {} twice", a.id);
            let best = bids_of
                .get(&a.id)?
                .iter()
                .filter(|b| in_time(a, b))
                .min_by_key(|b| (Reverse(b.price), b.date_time, **b))?;
            Some((*a, *best))
        })
        .collect();
    rows.sort_unstable();
    rows
}

/// q9, winning bids: each auction that has a winning bid, as `(auction id,
/// winning bid)`, sorted by auction.
pub fn q9(auctions: &[Auction], bids: &[Bid]) -> Vec<(u64, Bid)> {
    winners(auctions, bids)
        .into_iter()
        .map(|(a, b)| (a.id, b))
        .collect()
}

/// q4, average price per category: per category with a won auction, the
/// sum and the number of its auctions' winning prices, as `(category, sum,
/// count)`, sorted by category.
pub fn q4(auctions: &[Auction], bids: &[Bid]) -> Vec<(u64, u64, u64)> {
    let mut per: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for (a, b) in winners(auctions, bids) {
        let (sum, count) = per.entry(a.category).or_default();
        *sum += b.price;
        *count += 1;
    }
    per.into_iter()
        .map(|(category, (sum, count))| (category, sum, count))
        .collect()
}

/// q6, average selling price by seller, over the last [`Q6_LAST`]
/// auctions: [`q6_with`]`(auctions, bids, Q6_LAST)`.
pub fn q6(auctions: &[Auction], bids: &[Bid]) -> Vec<(u64, u64, u64)> {
    q6_with(auctions, bids, Q6_LAST)
}

/// q6 over the last `last` auctions: per seller with a won auction, the sum
/// and the number of the winning prices of their last `last` won auctions
/// by expiry (then id), as `(seller, sum, count)`, sorted by seller.
pub fn q6_with(auctions: &[Auction], bids: &[Bid], last: usize) -> Vec<(u64, u64, u64)> {
    let mut closed: BTreeMap<u64, Vec<(u64, u64, u64)>> = BTreeMap::new();
    for (a, b) in winners(auctions, bids) {
        closed
            .entry(a.seller)
            .or_default()
            .push((a.expires, a.id, b.price));
    }
    closed
        .into_iter()
        .map(|(seller, mut list)| {
            list.sort_unstable();
            let tail = &list[list.len().saturating_sub(last)..];
            let sum = tail.iter().map(|&(_, _, price)| price).sum();
            (seller, sum, tail.len() as u64)
        })
        .collect()
}

/// q8, monitor new users, on its standard windows: [`q8_with`]`(persons,
/// auctions,` [`Q8_SIZE`]`)`.
pub fn q8(persons: &[Person], auctions: &[Auction]) -> Vec<(u64, u32, u64)> {
    q8_with(persons, auctions, Q8_SIZE)
}

/// q8 on tumbling windows of `size`: each person who is in a window and
/// the seller of an auction in the same window, as `(person id, name,
/// window start)`, sorted, each once.
pub fn q8_with(persons: &[Person], auctions: &[Auction], size: u64) -> Vec<(u64, u32, u64)> {
    let start = |t: u64| t - t % size;
    let sellers: BTreeSet<(u64, u64)> = auctions
        .iter()
        .map(|a| (a.seller, start(a.date_time)))
        .collect();
    let rows: BTreeSet<(u64, u32, u64)> = persons
        .iter()
        .map(|p| (p.id, p.name, start(p.date_time)))
        .filter(|&(id, _, window)| sellers.contains(&(id, window)))
        .collect();
    rows.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nexmark::DEFAULT_RATE;
    use crate::nexmark_events::{auctions, bids, events, persons};

    fn person(id: u64, name: u32, city: u32, state: &[u8; 2], date_time: u64) -> Person {
        Person {
            id,
            name,
            city,
            state: *state,
            date_time,
        }
    }

    /// Auction `id` of `seller` in `category`, open from `date_time` to
    /// `expires`.
    fn auction(id: u64, seller: u64, category: u64, date_time: u64, expires: u64) -> Auction {
        Auction {
            id,
            seller,
            category,
            initial_bid: 1,
            reserve: 2,
            date_time,
            expires,
        }
    }

    fn bid(auction: u64, bidder: u64, price: u64, date_time: u64) -> Bid {
        Bid {
            auction,
            bidder,
            price,
            date_time,
            channel: 0,
        }
    }

    #[test]
    fn q3_joins_each_auction_with_its_seller_as_of_the_auction() {
        let persons = [
            person(1, 3, 4, b"OR", 10),
            person(2, 5, 1, b"WA", 10),
            person(3, 7, 2, b"CA", 50),
            // Person 1 moves to Arizona at 100.
            person(1, 3, 4, b"AZ", 100),
        ];
        let auctions = [
            // Seller 1 in Oregon: a row.
            auction(10, 1, 10, 20, 30),
            // Category 11: none.
            auction(11, 1, 11, 20, 30),
            // Seller 2 in Washington: none.
            auction(12, 2, 10, 20, 30),
            // Seller 3 comes at 50, after the auction: none.
            auction(13, 3, 10, 40, 50),
            // Seller 3 in California by 60: a row.
            auction(14, 3, 10, 60, 70),
            // Seller 1 in Arizona from 100, included: none.
            auction(15, 1, 10, 100, 110),
            // Seller 1 still in Oregon at 99: a row.
            auction(16, 1, 10, 99, 110),
            // No such person: none.
            auction(17, 4, 10, 99, 110),
        ];
        let want = [(3, 4, *b"OR", 10), (3, 4, *b"OR", 16), (7, 2, *b"CA", 14)];
        assert_eq!(q3(&persons, &auctions), want);
        let (mut p, mut a) = (persons.to_vec(), auctions.to_vec());
        p.reverse();
        a.reverse();
        assert_eq!(q3(&p, &a), want, "the input's order does not matter");
        assert!(q3(&[], &auctions).is_empty());
    }

    /// Auctions of two sellers, and bids at and around their opening and
    /// expiry, with ties.
    fn auction_bids() -> (Vec<Auction>, Vec<Bid>) {
        let auctions = vec![
            auction(1, 100, 10, 0, 10),
            auction(2, 100, 10, 5, 20),
            auction(3, 200, 11, 0, 5),
            // Its only bid is late: no winner, and no row for category 12.
            auction(4, 200, 12, 0, 100),
        ];
        let bids = vec![
            // At the opening: counts.
            bid(1, 7, 50, 0),
            // At the expiry: counts, and wins auction 1.
            bid(1, 8, 80, 10),
            // After the expiry: does not count.
            bid(1, 9, 90, 11),
            // Before the opening: does not count.
            bid(2, 7, 30, 4),
            // Two of the same price: the earlier wins.
            bid(2, 8, 30, 6),
            bid(2, 9, 30, 5),
            // Same price and time: the lower bidder wins.
            bid(3, 8, 1000, 5),
            bid(3, 7, 1000, 5),
            bid(4, 1, 5, 101),
            // No such auction.
            bid(99, 1, 5, 1),
        ];
        (auctions, bids)
    }

    #[test]
    fn q9_is_the_highest_then_earliest_bid_in_time() {
        let (auctions, bids) = auction_bids();
        let want = [
            (1, bid(1, 8, 80, 10)),
            (2, bid(2, 9, 30, 5)),
            (3, bid(3, 7, 1000, 5)),
        ];
        assert_eq!(q9(&auctions, &bids), want);
        let (mut a, mut b) = (auctions.clone(), bids.clone());
        a.reverse();
        b.reverse();
        assert_eq!(q9(&a, &b), want, "the input's order does not matter");
        assert!(q9(&auctions, &[]).is_empty());
    }

    #[test]
    fn q4_sums_and_counts_winning_prices_per_category() {
        let (auctions, bids) = auction_bids();
        // Category 10: 80 and 30; 11: 1000; 12: no winner.
        assert_eq!(q4(&auctions, &bids), [(10, 110, 2), (11, 1000, 1)]);
    }

    #[test]
    fn q6_averages_each_sellers_last_won_auctions() {
        let (auctions, bids) = auction_bids();
        assert_eq!(q6(&auctions, &bids), [(100, 110, 2), (200, 1000, 1)]);
        // The last by expiry: auction 2 (20) after auction 1 (10).
        assert_eq!(q6_with(&auctions, &bids, 1), [(100, 30, 1), (200, 1000, 1)]);
    }

    #[test]
    fn q6_takes_the_last_ten_by_expiry_not_by_id() {
        // Seller 1's auctions 1 to 12 expire in the opposite order (12
        // first), each won at its id's price; seller 2 has three.
        let mut auctions = Vec::new();
        let mut bids = Vec::new();
        for i in 1..=12 {
            auctions.push(auction(i, 1, 10, 0, 100 - i));
            bids.push(bid(i, 5, i, 0));
        }
        for i in 20..23 {
            auctions.push(auction(i, 2, 10, 0, 100));
            bids.push(bid(i, 5, 1, 50));
        }
        // The last ten to expire are 10, 9, ..., 1: 55 (by id, 3 to 12
        // would make 75).
        assert_eq!(q6(&auctions, &bids), [(1, 55, 10), (2, 3, 3)]);
    }

    #[test]
    fn q8_finds_new_persons_selling_in_their_window() {
        let persons = [
            person(1, 11, 0, b"OR", 5),
            person(2, 12, 0, b"OR", 15),
            person(3, 13, 0, b"OR", 25),
        ];
        let auctions = [
            // Two auctions of person 1 in [0, 10): one row.
            auction(1, 1, 10, 9, 100),
            auction(2, 1, 10, 3, 100),
            // Person 2 came in [10, 20), the auction is in [20, 30).
            auction(3, 2, 10, 20, 100),
            // In [20, 30) before person 3 came at 25: still the window's.
            auction(4, 3, 10, 21, 100),
            // In [30, 40): none.
            auction(5, 3, 10, 30, 100),
            // No such person.
            auction(6, 4, 10, 1, 100),
        ];
        assert_eq!(q8_with(&persons, &auctions, 10), [(1, 11, 0), (3, 13, 20)]);
        // One 10 s window holds them all.
        assert_eq!(
            q8(&persons, &auctions),
            [(1, 11, 0), (2, 12, 0), (3, 13, 0)]
        );
    }

    /// On generated events, every query has rows, and they agree with each
    /// other and with the definitions checked row by row.
    #[test]
    fn the_queries_have_rows_on_generated_events() {
        let all = events(20_000, DEFAULT_RATE);
        let (p, a, b) = (persons(&all), auctions(&all), bids(&all));
        let (r3, r4, r6, r8, r9) = (q3(&p, &a), q4(&a, &b), q6(&a, &b), q8(&p, &a), q9(&a, &b));
        println!(
            "{} persons, {} auctions, {} bids: q3 {} rows, q4 {}, q6 {}, q8 {}, q9 {}",
            p.len(),
            a.len(),
            b.len(),
            r3.len(),
            r4.len(),
            r6.len(),
            r8.len(),
            r9.len()
        );
        let by_id: BTreeMap<u64, Auction> = a.iter().map(|a| (a.id, *a)).collect();

        assert!(r3.len() >= 10, "q3: {r3:?}");
        for &(_, _, state, id) in &r3 {
            assert!(Q3_STATES.contains(&state));
            assert_eq!(by_id[&id].category, Q3_CATEGORY);
        }

        assert!(r9.len() > a.len() / 2, "most auctions are won");
        for (id, winner) in &r9 {
            let auction = &by_id[id];
            let in_time: Vec<&Bid> = b.iter().filter(|b| in_time(auction, b)).collect();
            assert!(in_time.contains(&winner));
            assert!(in_time.iter().all(|b| b.price <= winner.price));
        }

        assert_eq!(r4.len(), 5, "every category has a won auction");
        let won: u64 = r4.iter().map(|r| r.2).sum();
        assert_eq!(won, r9.len() as u64);

        assert!(r6.iter().all(|r| (1..=Q6_LAST as u64).contains(&r.2)));
        assert!(
            r6.iter().any(|r| r.2 == Q6_LAST as u64),
            "a hot seller has ten"
        );
        assert!(r6.iter().map(|r| r.2).sum::<u64>() <= won);

        assert!(!r8.is_empty(), "new persons sell");
        let sellers: BTreeSet<u64> = a.iter().map(|a| a.seller).collect();
        assert!(r8.iter().all(|r| sellers.contains(&r.0)));
    }
}
