//! Laminar: one core's fused chain driven on the calling thread, and the
//! runtime fed through an input handle.

use std::sync::Arc;

use laminar::prelude::*;
use laminar_examples::nexmark::{self as examples, Bid};

use super::{Digest, Query, Row};
use crate::nexmark::{drive_chain, q0, q1, q2};

/// Events per `submit_iter` call; the results ready are drained and
/// digested after each.
const CHUNK: usize = 8192;

/// Runs `query`'s chain for core 0 over `bids` with
/// [`drive_chain`]: a watermark every 64
/// events.
pub fn chain(query: Query, bids: &Arc<[Bid]>) -> Option<Digest> {
    let mut out = Digest::default();
    match query {
        Query::Q0 => drive_chain(&q0(), bids, &mut out),
        Query::Q1 => drive_chain(&q1(), bids, &mut out),
        Query::Q2 => drive_chain(&q2(), bids, &mut out),
        Query::Q5 => drive_chain(&examples::q5(), bids, &mut out),
        Query::Q7 => drive_chain(&examples::q7(), bids, &mut out),
    }
    Some(out)
}

/// Runs `query` on a runtime of `cores` cores, from `build` to `finish`:
/// the calling thread submits the bids through one input handle and
/// drains the results.
pub fn runtime(query: Query, bids: &Arc<[Bid]>, cores: usize) -> Option<Digest> {
    Some(match query {
        Query::Q0 => through_runtime(q0(), bids, cores),
        Query::Q1 => through_runtime(q1(), bids, cores),
        Query::Q2 => through_runtime(q2(), bids, cores),
        Query::Q5 => through_runtime(examples::q5(), bids, cores),
        Query::Q7 => through_runtime(examples::q7(), bids, cores),
    })
}

fn through_runtime<P>(pipeline: P, bids: &[Bid], cores: usize) -> Digest
where
    P: Pipeline<In = Bid>,
    P::Out: Row,
{
    let mut rt = Runtime::builder()
        .cores(cores)
        .build(pipeline)
        .expect("the runtime builds");
    let mut input = rt.input();
    let mut buf = Vec::with_capacity(1 << 16);
    let mut out = Digest::default();
    for chunk in bids.chunks(CHUNK) {
        input
            .submit_iter(chunk.iter().copied())
            .expect("a blocking submit takes every event");
        rt.drain(&mut buf);
        buf.drain(..).for_each(|r| out.emit(r));
    }
    drop(input);
    let report = rt.finish_into(&mut buf).expect("the runtime finishes");
    buf.drain(..).for_each(|r| out.emit(r));
    assert_eq!(report.events_in(), bids.len() as u64, "every bid went in");
    out
}
