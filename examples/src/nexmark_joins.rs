//! The Nexmark queries that join streams, as Laminar pipelines: q8 (a
//! window join of persons and auctions), q9 (an interval join of auctions
//! and bids, then each auction's best bid kept per key until an event-time
//! timer at its expiry), and q4 and q6, which re-key q9's winners. Their
//! exact semantics are those of [`crate::reference_joins`], which the tests
//! and the `nexmark_joins` example check them against.
//!
//! # Why q9 is exact
//!
//! A bid counts for an auction when `a.date_time <= b.date_time <=
//! a.expires`. The interval join pairs each auction with the bids on it
//! whose time is from the auction's to [`OPEN_BOUND_MS`] after it, and a
//! filter keeps those up to the expiry: that is every bid that counts as
//! long as no auction is open longer than [`OPEN_BOUND_MS`], which
//! [`max_open_ms`] bounds from the generator's own rule (it holds from
//! [`MIN_RATE`] events per second up). A pair's time is the bid's (the
//! later row's), so every pair of an auction is at most its `expires`; the
//! per-auction `process` sets a timer at `expires + 1`, which fires once
//! the watermark says no event before `expires + 1` is still to come, so
//! every pair of the auction has been seen. The end of input fires the
//! timers still pending, which closes every auction.
//!
//! q4 and q6 keep their sums in keyed state and emit them from a timer at
//! [`Timestamp::MAX`](laminar::Timestamp), which only the end of input
//! reaches: one row per category or seller, the value after all the input,
//! as the reference gives it.

use laminar::Timestamp;
use laminar::port::Either;
use laminar::prelude::*;

use crate::nexmark::Bid;
use crate::nexmark_events::{Auction, Person};
use crate::reference_joins::Q6_LAST;

/// The longest an auction may be open (`expires - date_time`, in ms) for
/// [`q9`], [`q4`] and [`q6`] to be exact: the upper bound of their interval
/// join. A join's bounds are literal durations in `stream!`, so this is
/// the literal there (`between = (0ms, 10s)`), not a parameter.
pub const OPEN_BOUND_MS: u64 = 10_000;

/// The lowest event rate (events per second) at which the generator keeps
/// every auction within [`OPEN_BOUND_MS`]: see [`max_open_ms`].
pub const MIN_RATE: usize = 400;

/// The longest the `nexmark` generator (0.2, default proportions) keeps an
/// auction open at `rate` events per second: an auction made as event `n`
/// expires `1 + [0, 2 * horizon)` ms after it, where `horizon` is the time
/// from event `n` to event `n + 1_666` (100 auctions in flight, 3 auctions
/// in 50 events, in integers); each event's time is rounded to the
/// millisecond, so `horizon` is at most `1_666_000 / rate` rounded up,
/// plus 1. At the default rate, 336 ms.
pub fn max_open_ms(rate: usize) -> u64 {
    let horizon = (1_666_000u64).div_ceil(rate as u64) + 1;
    2 * horizon
}

/// A bid as kept in state (state values are `serde` types, [`Bid`] is
/// not): `(price, date_time, bidder, channel)`; the auction is the key.
type Best = (u64, u64, u64, u32);

/// Whether `b` beats the best so far: higher price, then earlier time, then
/// the lower [`Bid`] by its order (bidder, then channel, the auction and
/// the rest being equal), as [`crate::reference_joins`] decides.
fn beats(b: &Bid, best: &Best) -> bool {
    let (price, at, bidder, channel) = *best;
    (std::cmp::Reverse(b.price), b.date_time, b.bidder, b.channel)
        < (std::cmp::Reverse(price), at, bidder, channel)
}

fn kept(b: &Bid) -> Best {
    (b.price, b.date_time, b.bidder, b.channel)
}

fn bid_of(auction: u64, best: &Best) -> Bid {
    let (price, date_time, bidder, channel) = *best;
    Bid {
        auction,
        bidder,
        price,
        date_time,
        channel,
    }
}

/// The best bid of an auction so far, with what q4 and q6 need of the
/// auction: `(category, seller, expires, best)`.
type Open = (u64, u64, u64, Best);

/// One event of q9's `process`: the pair `(a, b)` of an auction and a bid
/// that counts for it. The first pair of an auction sets its timer at
/// `expires + 1`.
fn offer(a: &Auction, b: &Bid, state: &mut Option<Open>, timer: impl FnOnce(Timestamp)) {
    match state {
        Some((_, _, _, best)) => {
            if beats(b, best) {
                *best = kept(b);
            }
        }
        None => {
            *state = Some((a.category, a.seller, a.expires, kept(b)));
            timer(a.expires + 1);
        }
    }
}

/// q9, winning bids: per auction, its winning bid, as `(auction id, bid)`,
/// emitted when the watermark passes the auction's expiry (or at the end
/// of input). Exact for auctions open at most [`OPEN_BOUND_MS`].
pub fn q9() -> impl Pipeline<In = Either<Auction, Bid>, Out = (u64, Bid)> {
    stream! {
        let auctions = Auction -> event_time(|a| a.date_time, lateness = 1s) -> key_by(|a| a.id);
        let bids = Bid -> event_time(|b| b.date_time, lateness = 1s) -> key_by(|b| b.auction);
        join(auctions, bids, |a, b| (*a, *b), between = (0ms, 10s))
            -> filter(|(a, b)| b.date_time <= a.expires)
            -> key_by(|(a, _)| a.id)
            -> process(
                |_id, (a, b), state, out| offer(&a, &b, state, |at| out.set_timer(at)),
                on_timer = |id, _at, state, out| {
                    if let Some((_, _, _, best)) = state.take() {
                        out.emit((*id, bid_of(*id, &best)));
                    }
                }
            )
    }
}

/// q4, average price per category: per category, the sum and the number of
/// its auctions' winning prices (q9's), as `(category, sum, count)`, one
/// row per category at the end of input.
pub fn q4() -> impl Pipeline<In = Either<Auction, Bid>, Out = (u64, u64, u64)> {
    stream! {
        let auctions = Auction -> event_time(|a| a.date_time, lateness = 1s) -> key_by(|a| a.id);
        let bids = Bid -> event_time(|b| b.date_time, lateness = 1s) -> key_by(|b| b.auction);
        join(auctions, bids, |a, b| (*a, *b), between = (0ms, 10s))
            -> filter(|(a, b)| b.date_time <= a.expires)
            -> key_by(|(a, _)| a.id)
            -> process(
                |_id, (a, b), state, out| offer(&a, &b, state, |at| out.set_timer(at)),
                on_timer = |_id, _at, state, out| {
                    if let Some((category, _, _, (price, ..))) = state.take() {
                        out.emit((category, price));
                    }
                }
            )
            -> key_by(|(category, _)| *category)
            -> process(
                |_category, (_, price), state, out| {
                    let (sum, count) = state.unwrap_or_else(|| {
                        out.set_timer(Timestamp::MAX);
                        (0u64, 0u64)
                    });
                    *state = Some((sum + price, count + 1));
                },
                on_timer = |category, _at, state, out| {
                    if let Some((sum, count)) = state.take() {
                        out.emit((*category, sum, count));
                    }
                }
            )
    }
}

/// A seller's last won auctions so far, as `(expires, id, price)`, sorted,
/// at most [`Q6_LAST`].
fn keep_last(list: &mut Vec<(u64, u64, u64)>, won: (u64, u64, u64)) {
    let at = list.partition_point(|x| *x < won);
    list.insert(at, won);
    if list.len() > Q6_LAST {
        list.remove(0);
    }
}

/// q6, average selling price by seller: per seller, the sum and the number
/// of the winning prices of their last [`Q6_LAST`] won auctions by expiry
/// (then id), as `(seller, sum, count)`, one row per seller at the end of
/// input.
pub fn q6() -> impl Pipeline<In = Either<Auction, Bid>, Out = (u64, u64, u64)> {
    stream! {
        let auctions = Auction -> event_time(|a| a.date_time, lateness = 1s) -> key_by(|a| a.id);
        let bids = Bid -> event_time(|b| b.date_time, lateness = 1s) -> key_by(|b| b.auction);
        join(auctions, bids, |a, b| (*a, *b), between = (0ms, 10s))
            -> filter(|(a, b)| b.date_time <= a.expires)
            -> key_by(|(a, _)| a.id)
            -> process(
                |_id, (a, b), state, out| offer(&a, &b, state, |at| out.set_timer(at)),
                on_timer = |id, _at, state, out| {
                    if let Some((_, seller, expires, (price, ..))) = state.take() {
                        out.emit((seller, (expires, *id, price)));
                    }
                }
            )
            -> key_by(|(seller, _)| *seller)
            -> process(
                |_seller, (_, won), state: &mut Option<Vec<(u64, u64, u64)>>, out| {
                    let list = state.get_or_insert_with(|| {
                        out.set_timer(Timestamp::MAX);
                        Vec::new()
                    });
                    keep_last(list, won);
                },
                on_timer = |seller, _at, state, out| {
                    if let Some(list) = state.take() {
                        let sum = list.iter().map(|&(_, _, price)| price).sum();
                        out.emit((*seller, sum, list.len() as u64));
                    }
                }
            )
    }
}

/// q8, monitor new users: each person who opened an account and created an
/// auction in the same 10 s tumbling window, as `(person id, name, window
/// start)`, once each. A window join of persons and auctions by person id
/// gives a pair per (person, auction) of a window, at the window's end - 1;
/// a second 10 s window over those pairs, keyed by person, makes one row
/// per person and window.
pub fn q8() -> impl Pipeline<In = Either<Person, Auction>, Out = (u64, u32, u64)> {
    stream! {
        let persons = Person -> event_time(|p| p.date_time, lateness = 1s) -> key_by(|p| p.id);
        let auctions = Auction -> event_time(|a| a.date_time, lateness = 1s) -> key_by(|a| a.seller);
        join(persons, auctions, |p, _a| (p.id, p.name), window = tumbling(10s))
            -> key_by(|person| *person)
            -> window(tumbling(10s))
            -> aggregate(count())
            -> map(|w| (w.key.0, w.key.1, w.start))
    }
}

/// q3, local item suggestion: each auction of category
/// [`Q3_CATEGORY`](crate::reference_joins::Q3_CATEGORY) whose seller, as
/// of the auction's time, lives in one of
/// [`Q3_STATES`](crate::reference_joins::Q3_STATES), as `(name, city,
/// state, auction)`. A stream-table join: the persons are a table (each
/// person an upsert of its id), read by each auction as of its time, once
/// the watermark passes it.
pub fn q3() -> impl Pipeline<In = Either<Auction, Person>, Out = crate::reference_joins::Q3Row> {
    use crate::reference_joins::{Q3_CATEGORY, Q3_STATES};
    stream! {
        let auctions = Auction
            -> event_time(|a| a.date_time, lateness = 1s)
            -> filter(|a| a.category == Q3_CATEGORY)
            -> key_by(|a| a.seller);
        let persons = Person
            -> event_time(|p| p.date_time, lateness = 1s)
            -> map(|p| Change::Upsert(p.id, p))
            -> key_by(|change| *change.key());
        join(auctions, table(persons), |a, p| (p.name, p.city, p.state, a.id))
            -> filter(|row| Q3_STATES.contains(&row.2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nexmark::DEFAULT_RATE;
    use crate::nexmark_events::{auctions, events};

    #[test]
    fn auctions_stay_within_the_bound() {
        assert!(max_open_ms(MIN_RATE) <= OPEN_BOUND_MS);
        assert_eq!(max_open_ms(DEFAULT_RATE), 336);
        for rate in [MIN_RATE, 1_000, DEFAULT_RATE] {
            let bound = max_open_ms(rate);
            let all = events(50_000, rate);
            let longest = auctions(&all)
                .iter()
                .map(|a| a.expires - a.date_time)
                .max()
                .expect("auctions");
            assert!(longest <= bound, "{longest} ms at {rate}/s, over {bound}");
            assert!(
                longest > bound * 3 / 4,
                "{longest} ms at {rate}/s: a loose bound"
            );
        }
    }

    #[test]
    fn keep_last_keeps_the_last_by_expiry() {
        let mut list = Vec::new();
        for i in (0..15u64).rev() {
            keep_last(&mut list, (100 + i, i, i));
        }
        assert_eq!(list.len(), Q6_LAST);
        assert_eq!(list[0], (105, 5, 5));
        assert_eq!(list[Q6_LAST - 1], (114, 14, 14));
    }

    #[test]
    fn beats_orders_as_the_reference() {
        let b = |price, date_time, bidder| Bid {
            auction: 1,
            bidder,
            price,
            date_time,
            channel: 0,
        };
        assert!(beats(&b(10, 5, 1), &kept(&b(9, 1, 0))));
        assert!(beats(&b(10, 5, 1), &kept(&b(10, 6, 0))));
        assert!(beats(&b(10, 5, 1), &kept(&b(10, 5, 2))));
        assert!(!beats(&b(10, 5, 1), &kept(&b(10, 5, 1))));
    }
}
