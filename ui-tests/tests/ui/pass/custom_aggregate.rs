// A user's own `Aggregate` in `aggregate(...)`, beside a built-in, over sliding windows (so its `merge` runs).
use std::collections::BTreeSet;

use laminar::Timestamp;
use laminar::prelude::*;

#[derive(Clone, Debug)]
struct Bid {
    auction: u64,
    bidder: u32,
    at: u64,
}

/// The set of bidders seen in a window.
#[derive(Clone)]
struct DistinctBidders;

impl Aggregate<Bid> for DistinctBidders {
    type Acc = BTreeSet<u32>;
    type Out = usize;

    fn create(&self) -> BTreeSet<u32> {
        BTreeSet::new()
    }
    fn add(&self, acc: &mut BTreeSet<u32>, event: &Bid, _timestamp: Timestamp) {
        acc.insert(event.bidder);
    }
    fn merge(&self, into: &mut BTreeSet<u32>, other: &BTreeSet<u32>) {
        into.extend(other);
    }
    fn finish(&self, acc: &BTreeSet<u32>) -> usize {
        acc.len()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let p = stream! {
        Bid
        -> event_time(|b| b.at)
        -> key_by(|b| b.auction)
        -> window(sliding(20ms, 10ms))
        -> aggregate(count(), DistinctBidders)
    };
    let rt = Runtime::builder().cores(2).build(p)?;
    let mut input = rt.input();
    for (bidder, at) in [(1, 1), (2, 2), (1, 3), (3, 15)] {
        input.submit(Bid {
            auction: 9,
            bidder,
            at,
        })?;
    }
    drop(input);
    let mut out = Vec::new();
    rt.finish_into(&mut out)?;
    out.sort_by_key(|w| w.start);
    let got: Vec<_> = out.iter().map(|w| (w.start, w.value)).collect();
    assert_eq!(got, [(0, (4, 3)), (10, (1, 1))]);
    Ok(())
}
