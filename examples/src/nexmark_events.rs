//! All three Nexmark streams, persons, auctions and bids, as the `nexmark`
//! crate's generator interleaves them: the input of the join queries (q3,
//! q4, q6, q8, q9). Like [`crate::nexmark::Bid`], [`Person`] and [`Auction`]
//! keep no strings: names, cities and states become small numbers or
//! fixed-size codes, so the events are `Copy` and a pipeline measures its
//! own work and not string clones.
//!
//! # What the generator guarantees
//!
//! Read from the `nexmark` crate (0.2) at its default proportions, and
//! checked by this module's tests:
//!
//! - Event `i` (from 0) is a person when `i % 50` is 0, an auction when it
//!   is 1, 2 or 3, a bid otherwise: 1 person, 3 auctions and 46 bids in
//!   every 50 events.
//! - Event `i`'s time is `BASE_TIME + round(i * 1000 / rate)` ms (computed
//!   in `f32`), so times never decrease in the generator's order; at
//!   [`DEFAULT_RATE`](crate::nexmark::DEFAULT_RATE), ten events share a
//!   millisecond.
//! - Person ids are 1000, 1001, ... in order, auction ids likewise: each
//!   id once, ascending.
//! - Ids in other events point near the newest person or auction *so
//!   far*, and up to 10 *ahead* of it: an auction's seller and a bid's
//!   bidder are at most 10 above the newest person id, a bid's auction at
//!   most 10 above the newest auction id (and at least 100 below it). So a
//!   bid may name an auction that comes later in the stream, or, at the
//!   end of a finite run, never; likewise a seller. Such an auction starts
//!   after the bid, or in the same millisecond: a bid can arrive before the
//!   auction it is valid for.
//! - Three in four auctions are by a "hot" seller (the person whose id is
//!   the newest multiple of 100, counting from 1000), half of the bids are
//!   on a hot auction (the same for auctions), three in four by a hot
//!   bidder (one above the hot seller).
//! - An auction's `expires` is after its `date_time` by 1 ms to twice the
//!   time 100 auctions take to come (about 333 ms at the default rate).
//! - Categories are 10 to 14.

use ::nexmark::EventGenerator;
use ::nexmark::config::NexmarkConfig;
use ::nexmark::event::Event;

use crate::nexmark::{BASE_TIME, Bid};

/// The generator's first names, in its order: [`name_id`] numbers a name
/// by its first name's place here and its last name's in [`LAST_NAMES`].
pub const FIRST_NAMES: [&str; 11] = [
    "peter", "paul", "luke", "john", "saul", "vicky", "kate", "julie", "sarah", "deiter", "walter",
];

/// The generator's last names, in its order.
pub const LAST_NAMES: [&str; 9] = [
    "shultz", "abrams", "spencer", "white", "bartels", "walton", "smith", "jones", "noris",
];

/// The generator's cities, in its order: [`city_id`] is a city's place
/// here.
pub const CITIES: [&str; 10] = [
    "phoenix",
    "los angeles",
    "san francisco",
    "boise",
    "portland",
    "bend",
    "redmond",
    "seattle",
    "kent",
    "cheyenne",
];

/// A person's full name ("first last") as a number, one to one:
/// `first * 9 + last`, by their places in [`FIRST_NAMES`] and
/// [`LAST_NAMES`] (so 0 to 98). Any other name (a generator configured
/// with other names) is `u32::MAX`.
pub fn name_id(name: &str) -> u32 {
    let place = |list: &[&str], word: &str| list.iter().position(|&w| w == word);
    name.split_once(' ')
        .and_then(|(first, last)| {
            let f = place(&FIRST_NAMES, first)?;
            let l = place(&LAST_NAMES, last)?;
            Some((f * LAST_NAMES.len() + l) as u32)
        })
        .unwrap_or(u32::MAX)
}

/// The full name [`name_id`] numbered `id`, or `None` for a number it does
/// not give.
pub fn name_of(id: u32) -> Option<String> {
    let (f, l) = (
        id as usize / LAST_NAMES.len(),
        id as usize % LAST_NAMES.len(),
    );
    let first = FIRST_NAMES.get(f)?;
    Some(format!("{first} {}", LAST_NAMES[l]))
}

/// A city as its place in [`CITIES`]; any other city is `u32::MAX`.
pub fn city_id(city: &str) -> u32 {
    CITIES
        .iter()
        .position(|&c| c == city)
        .map_or(u32::MAX, |i| i as u32)
}

/// A US state's two-letter code, upper case: the case of the original
/// (Java) generator and of the Nexmark SQL's q3 filter (`P.state = 'OR'`),
/// where this crate's generator writes `or`. Anything but two ASCII
/// letters is `*b"??"`.
pub fn state_code(state: &str) -> [u8; 2] {
    match state.as_bytes() {
        &[a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            [a.to_ascii_uppercase(), b.to_ascii_uppercase()]
        }
        _ => *b"??",
    }
}

/// A Nexmark person (a new account) without its strings: name and city as
/// numbers ([`name_id`], [`city_id`]), state as its code ([`state_code`]);
/// email, credit card and extra dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Person {
    /// The person's id, unique.
    pub id: u64,
    /// The full name, as [`name_id`] numbers it.
    pub name: u32,
    /// The city, as [`city_id`] numbers it.
    pub city: u32,
    /// The US state's code, upper case ([`state_code`]): `*b"OR"`.
    pub state: [u8; 2],
    /// Event time, milliseconds since the epoch.
    pub date_time: u64,
}

impl From<&::nexmark::event::Person> for Person {
    fn from(p: &::nexmark::event::Person) -> Self {
        Person {
            id: p.id as u64,
            name: name_id(&p.name),
            city: city_id(&p.city),
            state: state_code(&p.state),
            date_time: p.date_time,
        }
    }
}

/// A Nexmark auction without its strings (item name, description, extra).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Auction {
    /// The auction's id, unique.
    pub id: u64,
    /// The person selling (a [`Person::id`]).
    pub seller: u64,
    /// The item's category.
    pub category: u64,
    /// The opening price, in cents.
    pub initial_bid: u64,
    /// The lowest price the item sells at, in cents (the Nexmark SQL
    /// ignores it).
    pub reserve: u64,
    /// Event time (the auction's opening), milliseconds since the epoch.
    pub date_time: u64,
    /// The auction's closing time, milliseconds since the epoch; bids up
    /// to it, included, count.
    pub expires: u64,
}

impl From<&::nexmark::event::Auction> for Auction {
    fn from(a: &::nexmark::event::Auction) -> Self {
        Auction {
            id: a.id as u64,
            seller: a.seller as u64,
            category: a.category as u64,
            initial_bid: a.initial_bid as u64,
            reserve: a.reserve as u64,
            date_time: a.date_time,
            expires: a.expires,
        }
    }
}

/// One event of the Nexmark stream: a person, an auction or a bid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NexEvent {
    /// A new account.
    Person(Person),
    /// A new auction.
    Auction(Auction),
    /// A bid on an auction.
    Bid(Bid),
}

impl NexEvent {
    /// The event's time, milliseconds since the epoch.
    pub fn date_time(&self) -> u64 {
        match self {
            NexEvent::Person(p) => p.date_time,
            NexEvent::Auction(a) => a.date_time,
            NexEvent::Bid(b) => b.date_time,
        }
    }
}

impl From<&Event> for NexEvent {
    fn from(e: &Event) -> Self {
        match e {
            Event::Person(p) => NexEvent::Person(p.into()),
            Event::Auction(a) => NexEvent::Auction(a.into()),
            Event::Bid(b) => NexEvent::Bid(b.into()),
        }
    }
}

/// The first `n` Nexmark events, persons, auctions and bids together,
/// `rate` events per second of event time, from [`BASE_TIME`], in the
/// generator's order (event-time order): the configuration of
/// [`crate::nexmark::bids`], without its filter, so the bids here are
/// those of `bids(m, rate)` for the right `m`.
///
/// ```
/// use laminar_examples::nexmark;
/// use laminar_examples::nexmark_events::{NexEvent, auctions, bids, events, persons};
/// let all = events(5_000, 1_000);
/// let (p, a, b) = (persons(&all), auctions(&all), bids(&all));
/// // 1, 3 and 46 in every 50 events.
/// assert_eq!((p.len(), a.len(), b.len()), (100, 300, 4_600));
/// assert_eq!(p.len() + a.len() + b.len(), all.len());
/// assert_eq!(b, nexmark::bids(4_600, 1_000));
/// assert!(all.windows(2).all(|w| w[0].date_time() <= w[1].date_time()));
///
/// // A bid names an auction between 100 below and 10 above the newest
/// // auction so far: most have been seen, a few come later.
/// let mut newest = 0;
/// let mut ahead = 0;
/// for e in &all {
///     match e {
///         NexEvent::Auction(a) => newest = a.id,
///         NexEvent::Bid(b) => {
///             assert!(newest - 100 <= b.auction && b.auction <= newest + 10);
///             ahead += usize::from(b.auction > newest);
///         }
///         NexEvent::Person(_) => {}
///     }
/// }
/// assert!(0 < ahead && ahead < b.len() / 10, "{ahead} bids name a later auction");
/// ```
pub fn events(n: usize, rate: usize) -> Vec<NexEvent> {
    let config = NexmarkConfig {
        base_time: BASE_TIME,
        first_rate: rate,
        next_rate: rate,
        ..NexmarkConfig::default()
    };
    EventGenerator::new(config)
        .take(n)
        .map(|e| NexEvent::from(&e))
        .collect()
}

/// The persons of `events`, in their order.
pub fn persons(events: &[NexEvent]) -> Vec<Person> {
    events
        .iter()
        .filter_map(|e| match e {
            NexEvent::Person(p) => Some(*p),
            _ => None,
        })
        .collect()
}

/// The auctions of `events`, in their order.
pub fn auctions(events: &[NexEvent]) -> Vec<Auction> {
    events
        .iter()
        .filter_map(|e| match e {
            NexEvent::Auction(a) => Some(*a),
            _ => None,
        })
        .collect()
}

/// The bids of `events`, in their order.
pub fn bids(events: &[NexEvent]) -> Vec<Bid> {
    events
        .iter()
        .filter_map(|e| match e {
            NexEvent::Bid(b) => Some(*b),
            _ => None,
        })
        .collect()
}

/// Activity per person: in each 10 s tumbling window of event time, how
/// many times each person opened an account or created an auction as
/// seller. Two inputs, persons and auctions, joined by a `union`; beside
/// it, a side branch counts the auctions of category 10 into `category_10`
/// (fan-out to a sink).
///
/// ```
/// use laminar::prelude::*;
/// use laminar_examples::nexmark_events::{Auction, Person, activity, activity_reference, events, persons, auctions};
/// use std::sync::{Arc, atomic::AtomicU64};
///
/// let all = events(2_000, 10_000);
/// let (people, sales) = (persons(&all), auctions(&all));
/// let rt = Runtime::builder().cores(2).build(activity(Arc::new(AtomicU64::new(0))))?;
/// rt.port::<Person, _>().submit_iter(people.iter().copied())?;
/// rt.port::<Auction, _>().submit_iter(sales.iter().copied())?;
/// let mut out = Vec::new();
/// rt.finish_into(&mut out)?;
/// let mut got: Vec<(u64, u64, u64)> = out.iter().map(|w| (w.key, w.start, w.value)).collect();
/// got.sort_unstable();
/// assert_eq!(got, activity_reference(&people, &sales));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn activity(
    category_10: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> impl laminar::Pipeline<
    In = laminar::port::Either<Person, Auction>,
    Out = laminar::Windowed<u64, u64>,
> + use<> {
    use std::sync::atomic::Ordering;
    laminar::stream! {
        let people = Person -> event_time(|p| p.date_time) -> map(|p| p.id);
        let auctions = Auction -> event_time(|a| a.date_time);
        auctions
            -> filter(|a| a.category == 10)
            -> for_each(move |_| { category_10.fetch_add(1, Ordering::Relaxed); });
        let sellers = auctions -> map(|a| a.seller);
        union(people, sellers)
            -> key_by(|id| *id)
            -> window(tumbling(10s))
            -> aggregate(count())
    }
}

/// What [`activity`] computes, by a plain loop: `(person, window start,
/// count)` for each person and 10 s window with activity, sorted.
pub fn activity_reference(persons: &[Person], auctions: &[Auction]) -> Vec<(u64, u64, u64)> {
    let mut counts = std::collections::BTreeMap::new();
    let ids = persons
        .iter()
        .map(|p| (p.id, p.date_time))
        .chain(auctions.iter().map(|a| (a.seller, a.date_time)));
    for (id, at) in ids {
        *counts.entry((id, at - at % 10_000)).or_insert(0u64) += 1;
    }
    counts
        .into_iter()
        .map(|((id, start), n)| (id, start, n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nexmark::DEFAULT_RATE;

    #[test]
    fn names_cities_and_states_map_one_to_one() {
        assert_eq!(name_id("peter shultz"), 0);
        assert_eq!(name_id("vicky noris"), 5 * 9 + 8);
        assert_eq!(name_id("walter noris"), 98);
        assert_eq!(name_id("walter"), u32::MAX);
        assert_eq!(name_id("nobody noris"), u32::MAX);
        for id in 0..99 {
            assert_eq!(name_id(&name_of(id).unwrap()), id);
        }
        assert_eq!(name_of(99), None);
        assert_eq!(city_id("los angeles"), 1);
        assert_eq!(city_id("cheyenne"), 9);
        assert_eq!(city_id("paris"), u32::MAX);
        assert_eq!(state_code("or"), *b"OR");
        assert_eq!(state_code("CA"), *b"CA");
        assert_eq!(state_code("ore"), *b"??");
    }

    #[test]
    fn the_first_person_is_the_generators() {
        // The `nexmark` crate's own test of its first event.
        let all = events(1, DEFAULT_RATE);
        assert_eq!(
            all,
            [NexEvent::Person(Person {
                id: 1000,
                name: name_id("vicky noris"),
                city: city_id("cheyenne"),
                state: *b"AZ",
                date_time: BASE_TIME,
            })]
        );
    }

    /// What the module's documentation says the generator guarantees.
    #[test]
    fn the_generator_keeps_its_guarantees() {
        let all = events(100_000, DEFAULT_RATE);
        let (p, a, b) = (persons(&all), auctions(&all), bids(&all));
        println!(
            "100k events: {} persons, {} auctions, {} bids, {} ms",
            p.len(),
            a.len(),
            b.len(),
            all.last().unwrap().date_time() - BASE_TIME
        );
        assert_eq!((p.len(), a.len(), b.len()), (2_000, 6_000, 92_000));
        for (i, e) in all.iter().enumerate() {
            let kind_ok = match e {
                NexEvent::Person(_) => i % 50 == 0,
                NexEvent::Auction(_) => (1..4).contains(&(i % 50)),
                NexEvent::Bid(_) => i % 50 >= 4,
            };
            assert!(kind_ok, "event {i}: {e:?}");
            assert_eq!(e.date_time(), BASE_TIME + (i as u64 + 5) / 10, "event {i}");
        }
        assert!(p.iter().zip(1000..).all(|(p, id)| p.id == id));
        assert!(a.iter().zip(1000..).all(|(a, id)| a.id == id));

        let (mut person, mut auction) = (0, 0);
        let mut seen_categories = std::collections::BTreeSet::new();
        for e in &all {
            match *e {
                NexEvent::Person(p) => {
                    person = p.id;
                    assert!(p.name < 99 && p.city < 10, "{p:?}");
                    assert!([*b"AZ", *b"CA", *b"ID", *b"OR", *b"WA", *b"WY"].contains(&p.state));
                }
                NexEvent::Auction(a) => {
                    auction = a.id;
                    assert!(a.seller <= person + 10 && a.seller + 999 >= person, "{a:?}");
                    assert!((10..15).contains(&a.category));
                    assert!(a.date_time < a.expires && a.expires <= a.date_time + 334);
                    assert!(a.initial_bid <= a.reserve);
                    seen_categories.insert(a.category);
                }
                NexEvent::Bid(b) => {
                    assert!(b.auction <= auction + 10 && b.auction + 100 >= auction);
                    assert!(b.bidder <= person + 10 && b.bidder + 999 >= person);
                }
            }
        }
        assert_eq!(seen_categories.len(), 5);

        // Bids on an auction that comes later in the stream, yet in the
        // auction's time: it opens in the bid's millisecond.
        let opened: std::collections::BTreeMap<u64, (usize, Auction)> = all
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e {
                NexEvent::Auction(a) => Some((a.id, (i, *a))),
                _ => None,
            })
            .collect();
        let early = all
            .iter()
            .enumerate()
            .filter(|&(i, e)| match e {
                NexEvent::Bid(b) => opened.get(&b.auction).is_some_and(|&(j, a)| {
                    j > i && a.date_time <= b.date_time && b.date_time <= a.expires
                }),
                _ => false,
            })
            .count();
        println!("{early} bids come before the auction they are in time for");
        assert!(early > 0);
    }
}
