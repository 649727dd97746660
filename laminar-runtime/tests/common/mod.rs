//! Hand-written operators and pipelines shared by the runtime's integration
//! tests. Each test binary uses a part of them.
#![allow(dead_code)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use laminar_runtime::routing::{ByKey, KeyGroups};
use laminar_runtime::{Emit, Operator, Pipeline, Runtime, Timestamp};

/// A test event: who sent it, its routing key, and its sender's sequence
/// number (which doubles as an event time where a test needs one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ev {
    pub producer: u32,
    pub key: u64,
    pub seq: u64,
}

impl Ev {
    pub fn new(producer: u32, key: u64, seq: u64) -> Self {
        Ev { producer, key, seq }
    }
}

/// Routes an [`Ev`] by its key.
pub type KeyRoute = ByKey<fn(&Ev) -> u64>;

pub fn by_key() -> KeyRoute {
    fn key(e: &Ev) -> u64 {
        e.key
    }
    ByKey::new(key as fn(&Ev) -> u64)
}

/// The core `key` lands on with `cores` cores.
pub fn core_of(key: u64, cores: usize) -> usize {
    KeyGroups::DEFAULT.core_of_key(&key, cores)
}

/// The first `n` keys that land on `core` (of `cores`).
pub fn keys_on(core: usize, cores: usize, n: usize) -> Vec<u64> {
    (0u64..)
        .filter(|&k| core_of(k, cores) == core)
        .take(n)
        .collect()
}

/// Burns CPU without sleeping: `n` rounds the optimizer cannot remove.
#[inline(never)]
pub fn spin(n: u32) {
    for i in 0..n {
        black_box(i);
    }
}

/// Emits `(core, event)` after spinning a while on each event.
pub struct Slow {
    pub core: usize,
    pub spins: u32,
}

impl Operator for Slow {
    type In = Ev;
    type Out = (usize, Ev);
    fn on_event<E: Emit<(usize, Ev)>>(&mut self, event: Ev, out: &mut E) {
        spin(self.spins);
        out.emit((self.core, event));
    }
}

/// A keyed pipeline of [`Slow`].
pub struct SlowPipeline {
    pub spins: u32,
}

impl Pipeline for SlowPipeline {
    type In = Ev;
    type Out = (usize, Ev);
    type Op = Slow;
    type Route = KeyRoute;
    fn route(&self) -> KeyRoute {
        by_key()
    }
    fn instantiate(&self, core: usize) -> Slow {
        Slow {
            core,
            spins: self.spins,
        }
    }
}

/// A gate that operators wait at until the test opens it, plus counters of
/// what the operators did.
#[derive(Default)]
pub struct Gate {
    pub open: AtomicBool,
    /// Events that reached `on_event` (counted before waiting at the gate).
    pub entered: AtomicU64,
    /// Events that passed the gate.
    pub passed: AtomicU64,
}

impl Gate {
    /// Spins (yielding) until `cond` holds; panics after `max_rounds` rounds
    /// rather than hang a broken test forever.
    pub fn wait_until(&self, what: &str, mut cond: impl FnMut(&Self) -> bool) {
        for _ in 0..MAX_ROUNDS {
            if cond(self) {
                return;
            }
            std::thread::yield_now();
        }
        panic!("gave up waiting for {what}");
    }
}

/// Rounds a test yields in a polling loop before it declares a hang: a
/// count, not a clock; generous enough for a loaded two-core machine.
pub const MAX_ROUNDS: u64 = 200_000_000;

/// Emits each event once the gate is open.
pub struct Gated {
    pub gate: Arc<Gate>,
}

impl Operator for Gated {
    type In = Ev;
    type Out = Ev;
    fn on_event<E: Emit<Ev>>(&mut self, event: Ev, out: &mut E) {
        self.gate.entered.fetch_add(1, Ordering::SeqCst);
        while !self.gate.open.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        self.gate.passed.fetch_add(1, Ordering::SeqCst);
        out.emit(event);
    }
}

/// A keyed pipeline of [`Gated`], all cores sharing one gate.
pub struct GatedPipeline {
    pub gate: Arc<Gate>,
}

impl Pipeline for GatedPipeline {
    type In = Ev;
    type Out = Ev;
    type Op = Gated;
    type Route = KeyRoute;
    fn route(&self) -> KeyRoute {
        by_key()
    }
    fn instantiate(&self, _core: usize) -> Gated {
        Gated {
            gate: self.gate.clone(),
        }
    }
}

/// How a [`Panicky`] operator panics.
#[derive(Clone, Copy, Debug)]
pub enum PanicWith {
    /// `panic!("poisoned by event {seq} on core {core}")`: a `String` payload.
    Formatted,
    /// `panic!("poisoned")`: a `&'static str` payload.
    Literal,
}

/// Emits each event `fanout` times, except that it panics on events with
/// key `poison`. A large fanout fills an undrained outbox with one event and
/// stalls the core inside that event's batch, so it frees no credit.
pub struct Panicky {
    pub core: usize,
    pub poison: u64,
    pub with: PanicWith,
    pub fanout: u32,
}

impl Operator for Panicky {
    type In = Ev;
    type Out = Ev;
    fn on_event<E: Emit<Ev>>(&mut self, event: Ev, out: &mut E) {
        if event.key == self.poison {
            match self.with {
                PanicWith::Formatted => {
                    panic!("poisoned by event {} on core {}", event.seq, self.core)
                }
                PanicWith::Literal => panic!("poisoned"),
            }
        }
        for _ in 0..self.fanout {
            out.emit(event);
        }
    }
}

pub struct PanickyPipeline {
    pub poison: u64,
    pub with: PanicWith,
    pub fanout: u32,
}

impl Pipeline for PanickyPipeline {
    type In = Ev;
    type Out = Ev;
    type Op = Panicky;
    type Route = KeyRoute;
    fn route(&self) -> KeyRoute {
        by_key()
    }
    fn instantiate(&self, core: usize) -> Panicky {
        Panicky {
            core,
            poison: self.poison,
            with: self.with,
            fanout: self.fanout,
        }
    }
}

/// What a [`Recorder`] saw, in the order it saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    Event {
        core: usize,
        event: Ev,
    },
    /// An event older than the core's watermark when it arrived.
    Late {
        core: usize,
        event: Ev,
        watermark: Timestamp,
    },
    Watermark {
        core: usize,
        watermark: Timestamp,
    },
    End {
        core: usize,
    },
}

/// Reports every callback as a [`Seen`]; an event's `seq` is its event time.
pub struct Recorder {
    pub core: usize,
    pub watermark: Timestamp,
}

impl Operator for Recorder {
    type In = Ev;
    type Out = Seen;
    fn on_event<E: Emit<Seen>>(&mut self, event: Ev, out: &mut E) {
        let core = self.core;
        if event.seq < self.watermark {
            out.emit(Seen::Late {
                core,
                event,
                watermark: self.watermark,
            });
        } else {
            out.emit(Seen::Event { core, event });
        }
    }
    fn on_watermark<E: Emit<Seen>>(&mut self, watermark: Timestamp, out: &mut E) {
        assert!(watermark > self.watermark, "watermarks only advance");
        self.watermark = watermark;
        out.emit(Seen::Watermark {
            core: self.core,
            watermark,
        });
    }
    fn on_end<E: Emit<Seen>>(&mut self, out: &mut E) {
        out.emit(Seen::End { core: self.core });
    }
}

pub struct RecorderPipeline;

impl Pipeline for RecorderPipeline {
    type In = Ev;
    type Out = Seen;
    type Op = Recorder;
    type Route = KeyRoute;
    fn route(&self) -> KeyRoute {
        by_key()
    }
    fn instantiate(&self, core: usize) -> Recorder {
        Recorder { core, watermark: 0 }
    }
}

/// Drains `rt` into `buf` until `done(buf)` holds; panics after
/// [`MAX_ROUNDS`] fruitless rounds.
pub fn drain_until<P: Pipeline>(
    rt: &mut Runtime<P>,
    buf: &mut Vec<P::Out>,
    what: &str,
    mut done: impl FnMut(&[P::Out]) -> bool,
) {
    for _ in 0..MAX_ROUNDS {
        if done(buf) {
            return;
        }
        if rt.drain(buf) == 0 {
            std::thread::yield_now();
        }
    }
    panic!("gave up waiting for {what}");
}

/// A small deterministic mixer for keys.
pub fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}
