//! The logic the fusion bench runs four ways, shared by the criterion bench
//! (`benches/fusion.rs`) and the instruction-count binary
//! (`src/bin/fusion_icount.rs`, run under callgrind).
//!
//! The logic: keep bids whose price is not a multiple of 3, project to
//! (auction, 2·price + bidder), keep even auctions, fold auction ^ value.

use laminar::prelude::*;

/// A bid.
#[derive(Clone, Copy, Debug)]
pub struct Bid {
    /// Auction id.
    pub auction: u64,
    /// Bidder id.
    pub bidder: u64,
    /// Price.
    pub price: u64,
}

/// `n` pseudo-random bids, the same every run.
pub fn bids(n: u64) -> Vec<Bid> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            Bid {
                auction: x % 10_000,
                bidder: (x >> 20) % 100_000,
                price: (x >> 40) % 1_000_000,
            }
        })
        .collect()
}

/// The generated chain's sink: the same fold as the other three ways.
struct Fold(u64);

impl Emit<u64> for Fold {
    #[inline(always)]
    fn emit(&mut self, v: u64) {
        self.0 = self.0.wrapping_add(v);
    }
}

/// The chain `stream!` generates.
#[inline(never)]
pub fn generated(bids: &[Bid]) -> u64 {
    let p = stream! {
        Bid
        -> filter(|b| !b.price.is_multiple_of(3))
        -> map(|b| (b.auction, b.price * 2 + b.bidder))
        -> filter_map(|(a, v)| a.is_multiple_of(2).then_some(a ^ v))
    };
    let mut chain = p.instantiate(0);
    let mut sink = Fold(0);
    for &b in bids {
        chain.on_event(b, &mut sink);
    }
    sink.0
}

/// The logic written by hand in a loop.
#[inline(never)]
pub fn hand_written(bids: &[Bid]) -> u64 {
    let mut acc = 0u64;
    for &b in bids {
        if !b.price.is_multiple_of(3) {
            let (a, v) = (b.auction, b.price * 2 + b.bidder);
            if a % 2 == 0 {
                acc = acc.wrapping_add(a ^ v);
            }
        }
    }
    acc
}

/// The logic as an iterator chain.
#[inline(never)]
pub fn iterator(bids: &[Bid]) -> u64 {
    bids.iter()
        .copied()
        .filter(|b| !b.price.is_multiple_of(3))
        .map(|b| (b.auction, b.price * 2 + b.bidder))
        .filter_map(|(a, v)| a.is_multiple_of(2).then_some(a ^ v))
        .fold(0u64, u64::wrapping_add)
}

/// A push stage behind a vtable: what a pipeline assembled at run time pays.
trait DynStage<T> {
    fn push(&mut self, item: T, acc: &mut u64);
}

struct DynFilter<T>(Box<dyn Fn(&T) -> bool>, Box<dyn DynStage<T>>);
struct DynMap<T, U>(Box<dyn Fn(T) -> U>, Box<dyn DynStage<U>>);
struct DynFilterMap<T, U>(Box<dyn Fn(T) -> Option<U>>, Box<dyn DynStage<U>>);
struct DynFold;

impl<T> DynStage<T> for DynFilter<T> {
    fn push(&mut self, item: T, acc: &mut u64) {
        if (self.0)(&item) {
            self.1.push(item, acc);
        }
    }
}

impl<T, U> DynStage<T> for DynMap<T, U> {
    fn push(&mut self, item: T, acc: &mut u64) {
        self.1.push((self.0)(item), acc);
    }
}

impl<T, U> DynStage<T> for DynFilterMap<T, U> {
    fn push(&mut self, item: T, acc: &mut u64) {
        if let Some(u) = (self.0)(item) {
            self.1.push(u, acc);
        }
    }
}

impl DynStage<u64> for DynFold {
    fn push(&mut self, item: u64, acc: &mut u64) {
        *acc = acc.wrapping_add(item);
    }
}

/// The logic as boxed trait objects.
#[inline(never)]
pub fn boxed_dyn(bids: &[Bid]) -> u64 {
    let mut chain: Box<dyn DynStage<Bid>> = Box::new(DynFilter(
        Box::new(|b: &Bid| !b.price.is_multiple_of(3)),
        Box::new(DynMap(
            Box::new(|b: Bid| (b.auction, b.price * 2 + b.bidder)),
            Box::new(DynFilterMap(
                Box::new(|(a, v): (u64, u64)| a.is_multiple_of(2).then_some(a ^ v)),
                Box::new(DynFold),
            )),
        )),
    ));
    let mut acc = 0;
    for &b in bids {
        chain.push(b, &mut acc);
    }
    acc
}
