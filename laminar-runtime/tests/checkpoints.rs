//! Checkpoint barriers: `Runtime::checkpoint` completes while events flow,
//! through exchanges under backpressure, and every barrier is aligned: at
//! every stage, each event is on one side of barrier n on every core. The
//! probes below count what each core's stage saw before each barrier; the
//! sums over the cores must agree at every stage, barrier by barrier, and
//! the last probe must see every event. A checkpoint must complete: three
//! cores or more could wait on each other's barriers (a core held by a
//! full ring stopped sending the barrier its upstream exchange still owed),
//! and the test hung 2 runs in 5 before `Operator::flush_outgoing`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use laminar_runtime::Runtime;
use laminar_runtime::exchange::Repartition;
use laminar_runtime::operator::{Emit, Operator};
use laminar_runtime::pipeline::Pipeline;
use laminar_runtime::routing::{ByKey, RoundRobin};
use laminar_runtime::stage::Then;

/// Per stage, per barrier: events seen before it, summed over the cores.
type Log = Arc<Mutex<BTreeMap<(usize, u64), u64>>>;

/// Passes events on and counts them; at each barrier, logs the count.
#[derive(Clone)]
struct Probe {
    stage: usize,
    seen: u64,
    log: Log,
}

impl Operator for Probe {
    type In = u64;
    type Out = u64;
    fn on_event<E: Emit<u64>>(&mut self, e: u64, out: &mut E) {
        self.seen += 1;
        out.emit(e);
    }
    fn on_barrier<E: Emit<u64>>(&mut self, epoch: u64, _out: &mut E) {
        *self
            .log
            .lock()
            .unwrap()
            .entry((self.stage, epoch))
            .or_insert(0) += self.seen;
    }
}

type Chain = Then<
    Then<
        Then<Then<Probe, Repartition<u64, ByKey<fn(&u64) -> u64>>>, Probe>,
        Repartition<u64, ByKey<fn(&u64) -> u64>>,
    >,
    Probe,
>;

struct TwoExchanges(Log);

fn by_value(x: &u64) -> u64 {
    *x
}

fn by_tens(x: &u64) -> u64 {
    *x / 10
}

impl Pipeline for TwoExchanges {
    type In = u64;
    type Out = u64;
    type Op = Chain;
    type Route = RoundRobin;
    fn route(&self) -> RoundRobin {
        RoundRobin::default()
    }
    fn instantiate(&self, _core: usize) -> Chain {
        let probe = |stage| Probe {
            stage,
            seen: 0,
            log: self.0.clone(),
        };
        Then::new(
            Then::new(
                Then::new(
                    Then::new(
                        probe(0),
                        Repartition::new(ByKey::new(by_value as fn(&u64) -> u64)),
                    ),
                    probe(1),
                ),
                Repartition::new(ByKey::new(by_tens as fn(&u64) -> u64)),
            ),
            probe(2),
        )
    }
}

/// Runs `f` on a thread of its own; fails if it takes longer than
/// `secs`: a checkpoint that never completes is a deadlock, and must fail
/// the test rather than hang it.
fn within(secs: u64, what: &str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(secs)) {
        Ok(()) => {}
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: not done after {secs} s (a checkpoint that never completes)")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: failed"),
    }
}

#[test]
fn barriers_are_aligned_through_two_exchanges_while_events_flow() {
    within(
        240,
        "checkpoints through two exchanges",
        aligned_through_two_exchanges,
    );
}

fn aligned_through_two_exchanges() {
    const N: u64 = 50_000;
    const CHECKPOINTS: u64 = 20;
    for cores in [1, 2, 4] {
        for capacity in [2, 64] {
            let log: Log = Arc::default();
            let mut rt = Runtime::builder()
                .cores(cores)
                .queue_capacity(capacity)
                .build(TwoExchanges(log.clone()))
                .expect("runtime");
            let mut input = rt.input();
            let feeder = std::thread::spawn(move || {
                for chunk in (0..N).collect::<Vec<_>>().chunks(1_000) {
                    input.submit_iter(chunk.iter().copied()).expect("submit");
                }
            });
            for epoch in 1..=CHECKPOINTS {
                assert_eq!(rt.checkpoint().expect("checkpoint"), epoch);
            }
            feeder.join().unwrap();
            let mut out = Vec::new();
            let report = rt.finish_into(&mut out).expect("finish");
            assert_eq!(out.len() as u64, N, "{cores} cores, capacity {capacity}");
            assert_eq!(report.checkpoints, CHECKPOINTS);
            assert!(report.cores.iter().all(|c| c.barriers == CHECKPOINTS));
            let log = log.lock().unwrap();
            let mut last = 0;
            for epoch in 1..=CHECKPOINTS {
                let at = |stage| log.get(&(stage, epoch)).copied().unwrap_or(0);
                assert_eq!(
                    (at(1), at(2)),
                    (at(0), at(0)),
                    "{cores} cores, capacity {capacity}: events before barrier {epoch} at each stage"
                );
                assert!(at(0) >= last, "barriers in order");
                last = at(0);
            }
        }
    }
}
