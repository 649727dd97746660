//! Nexmark, the standard streaming benchmark, as Laminar runs it: bids
//! from the `nexmark` crate's generator, and the pipelines of queries q5,
//! q7 and q11. The examples, the Nexmark tests of `laminar` and the
//! Nexmark bench all use these, so that what is measured is what is
//! tested.
//!
//! Each pipeline is the part of its query that spreads over cores (keyed,
//! windowed, aggregated); the query's last step, over all keys of a
//! window, is left to the consumer.

use ::nexmark::EventGenerator;
use ::nexmark::config::NexmarkConfig;
use ::nexmark::event::{Event, EventType};
use laminar::prelude::*;
use laminar::source::{self, Source};

/// A Nexmark bid without its strings (channel, url, extra): `Copy`, so the
/// pipeline measures its own work and not string clones.
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
}

impl From<&::nexmark::event::Bid> for Bid {
    fn from(b: &::nexmark::event::Bid) -> Self {
        Bid {
            auction: b.auction as u64,
            bidder: b.bidder as u64,
            price: b.price as u64,
            date_time: b.date_time,
        }
    }
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
