//! Driving the Laminar runtime by hand, without the `stream!` macro.
//!
//! This is what the macro generates for you, written out: an [`Operator`]
//! (here, a count of events per key), a [`Pipeline`] that makes one operator
//! instance per core and says how events are routed ([`ByKey`]: every event of
//! a key goes to the same core, so each core's counts are final for the keys
//! it owns), and a [`Runtime`] on 2 cores fed by 2 producer threads. Each
//! producer has its own [`Input`](laminar::Input) handle (`Input::clone` opens
//! fresh lock-free rings into every core), and submits in chunks with
//! `submit_iter`.
//!
//! At the end, `finish_into` closes the inputs, lets each core drain and call
//! `on_end` (where the counts are emitted), and returns the run's [`Report`],
//! printed below. The example then checks the results: every key is reported
//! by exactly one core, each count matches what the producers sent, and the
//! counts add up to the number of events submitted.
//!
//! ```text
//! cargo run --release -p laminar-examples --example runtime_direct
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::thread;

use laminar::{ByKey, Emit, Operator, Pipeline, Report, Runtime};

/// Distinct users in the generated stream.
const USERS: u32 = 1_000;
/// Events each producer thread submits.
const EVENTS_PER_PRODUCER: u64 = 1_000_000;
/// Producer threads, each with its own input handle.
const PRODUCERS: u64 = 2;
/// Events per `submit_iter` call.
const CHUNK: u64 = 4_096;

/// One event: a user clicked somewhere.
#[derive(Clone, Copy, Debug)]
struct Click {
    user: u32,
    page: u16,
}

/// The user a producer's `i`-th click comes from; deterministic, so the
/// expected counts can be computed without keeping the events.
fn click(producer: u64, i: u64) -> Click {
    let mixed = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ producer).rotate_left(17);
    Click {
        user: (mixed % u64::from(USERS)) as u32,
        page: (i % 64) as u16,
    }
}

/// Counts clicks per user; emits `(user, count)` for each user it saw when
/// its input ends. One instance per core, owned by that core's worker.
#[derive(Default)]
struct CountPerUser {
    counts: HashMap<u32, u64>,
}

impl Operator for CountPerUser {
    type In = Click;
    type Out = (u32, u64);

    fn on_event<E: Emit<(u32, u64)>>(&mut self, event: Click, _out: &mut E) {
        let _ = event.page; // a real operator might count per page too
        *self.counts.entry(event.user).or_default() += 1;
    }

    fn on_end<E: Emit<(u32, u64)>>(&mut self, out: &mut E) {
        for (user, count) in self.counts.drain() {
            out.emit((user, count));
        }
    }
}

/// The routing key: clicks are partitioned by user.
fn user_of(click: &Click) -> u32 {
    click.user
}

/// The pipeline: one `CountPerUser` per core, clicks routed by user.
struct ClicksPerUser;

impl Pipeline for ClicksPerUser {
    type In = Click;
    type Out = (u32, u64);
    type Op = CountPerUser;
    type Route = ByKey<fn(&Click) -> u32>;

    fn route(&self) -> Self::Route {
        ByKey::new(user_of as fn(&Click) -> u32)
    }

    fn instantiate(&self, _core: usize) -> CountPerUser {
        CountPerUser::default()
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let rt = Runtime::builder().cores(2).build(ClicksPerUser)?;
    println!(
        "runtime on {} cores, {PRODUCERS} producers x {EVENTS_PER_PRODUCER} events, {USERS} users",
        rt.cores()
    );

    // One handle per producer thread: a clone is not a shared reference but
    // a new handle with rings of its own, so the threads never contend.
    let first = rt.input();
    let mut inputs: Vec<_> = (1..PRODUCERS).map(|_| first.clone()).collect();
    inputs.push(first);

    let submitted: u64 = thread::scope(|s| {
        let producers: Vec<_> = inputs
            .into_iter()
            .enumerate()
            .map(|(p, mut input)| {
                let p = p as u64;
                s.spawn(move || -> Result<u64, String> {
                    let mut sent = 0u64;
                    let mut i = 0u64;
                    while i < EVENTS_PER_PRODUCER {
                        let end = (i + CHUNK).min(EVENTS_PER_PRODUCER);
                        let n = input
                            .submit_iter((i..end).map(|j| click(p, j)))
                            .map_err(|e| e.to_string())?;
                        sent += n.queued as u64;
                        i = end;
                    }
                    Ok(sent)
                })
            })
            .collect();
        producers
            .into_iter()
            .map(|h| h.join().expect("producer thread panicked"))
            .sum::<Result<u64, String>>()
    })?;

    let mut counts = Vec::new();
    let report: Report = rt.finish_into(&mut counts)?;
    println!("\n{report}\n");

    // Checks: each user once, the right count, and nothing lost.
    let mut expected: HashMap<u32, u64> = HashMap::new();
    for p in 0..PRODUCERS {
        for i in 0..EVENTS_PER_PRODUCER {
            *expected.entry(click(p, i).user).or_default() += 1;
        }
    }
    let mut seen: HashMap<u32, u64> = HashMap::with_capacity(counts.len());
    for &(user, count) in &counts {
        if seen.insert(user, count).is_some() {
            return Err(format!("user {user} was counted on two cores").into());
        }
    }
    if seen != expected {
        return Err("per-user counts differ from what was submitted".into());
    }
    let total: u64 = counts.iter().map(|&(_, n)| n).sum();
    if total != submitted || report.events_in() != submitted {
        return Err(format!(
            "sum of counts {total}, events in {}, submitted {submitted}",
            report.events_in()
        )
        .into());
    }
    let per_core: Vec<u64> = report.cores.iter().map(|c| c.events_in).collect();
    println!(
        "checked: {} users, each on exactly one core; sum of counts = {total} = events submitted",
        counts.len()
    );
    println!(
        "events per core: {per_core:?}; {:.1} M events/s overall",
        submitted as f64 / report.elapsed.as_secs_f64() / 1e6
    );
    Ok(())
}
