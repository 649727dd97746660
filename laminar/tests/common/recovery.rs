//! A replayable source whose reading the test holds back (a gate), and a
//! two-phase sink whose "durable" storage outlives a runtime dropped
//! unfinished, as a crashed process's files outlive it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use laminar::sink::{Committer, Prepared, Sink, SinkError, SinkWriter};
use laminar::source::{Position, Read, Source, SourceError, Split};

/// `partitions` streams of events; partition `p` holds the events
/// `f(p, 0..len)`. Splits read only below the gate's index.
#[derive(Clone)]
pub struct Gated<T> {
    events: Arc<Vec<Vec<T>>>,
    gate: Arc<AtomicU64>,
    start: Vec<u64>,
    /// Per partition, the next index read (shared with the splits).
    at: Arc<Vec<AtomicU64>>,
}

impl<T: Clone + Send + Sync + 'static> Gated<T> {
    pub fn new(events: Vec<Vec<T>>, gate: Arc<AtomicU64>) -> Self {
        let start = vec![0; events.len()];
        let at = Arc::new(events.iter().map(|_| AtomicU64::new(0)).collect());
        Gated {
            events: Arc::new(events),
            gate,
            start,
            at,
        }
    }

    /// Whether every partition was read up to the gate (or its end).
    pub fn reached(&self) -> bool {
        let gate = self.gate.load(Ordering::Acquire);
        self.events
            .iter()
            .zip(self.at.iter())
            .all(|(e, at)| at.load(Ordering::Acquire) >= gate.min(e.len() as u64))
    }

    /// Waits until [`reached`](Self::reached).
    pub fn wait(&self) {
        let start = std::time::Instant::now();
        while !self.reached() {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(60),
                "the source did not reach its gate"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}

pub struct GatedSplit<T> {
    events: Arc<Vec<Vec<T>>>,
    gate: Arc<AtomicU64>,
    at: Arc<Vec<AtomicU64>>,
    /// (partition, next index)
    mine: Vec<(u32, u64)>,
}

impl<T: Clone + Send + Sync + 'static> Source<T> for Gated<T> {
    type Split = GatedSplit<T>;
    fn split(&mut self, core: usize, cores: usize) -> GatedSplit<T> {
        let mine = (0..self.events.len())
            .filter(|p| p % cores == core)
            .map(|p| (p as u32, self.start[p]))
            .collect();
        for &(p, next) in &mine {
            self.at[p as usize].store(next, Ordering::Release);
        }
        GatedSplit {
            events: self.events.clone(),
            gate: self.gate.clone(),
            at: self.at.clone(),
            mine,
        }
    }
    fn replayable(&self) -> bool {
        true
    }
    fn seek(&mut self, positions: &[Position]) -> Result<(), SourceError> {
        for p in positions {
            let Some(slot) = self.start.get_mut(p.partition as usize) else {
                return Err(SourceError::UnknownPartition {
                    partition: p.partition,
                    partitions: self.events.len() as u32,
                });
            };
            *slot = p.offset;
        }
        Ok(())
    }
}

impl<T: Clone + Send + Sync + 'static> Split<T> for GatedSplit<T> {
    fn read(&mut self, buf: &mut Vec<T>, max: usize) -> Read {
        let gate = self.gate.load(Ordering::Acquire);
        let mut all_done = true;
        // An equal share each, so that the partitions keep together in time.
        let share = (max / self.mine.len().max(1)).max(1);
        for (p, next) in &mut self.mine {
            let events = &self.events[*p as usize];
            let end = (events.len() as u64).min(gate);
            let take = (end.saturating_sub(*next) as usize)
                .min(share)
                .min(max.saturating_sub(buf.len()));
            buf.extend_from_slice(&events[*next as usize..*next as usize + take]);
            *next += take as u64;
            self.at[*p as usize].store(*next, Ordering::Release);
            all_done &= *next as usize == events.len();
        }
        if all_done {
            Read::End
        } else if buf.is_empty() {
            Read::Idle
        } else {
            Read::More
        }
    }
    fn positions(&self, out: &mut Vec<Position>) {
        out.extend(
            self.mine
                .iter()
                .map(|&(partition, offset)| Position { partition, offset }),
        );
    }
}

/// What the sink keeps "on disk": prepared transactions and committed
/// results, shared by every run of a test.
pub struct Store<T> {
    pub prepared: HashMap<(u64, u32), Vec<T>>,
    pub committed: Vec<T>,
    pub commits: u64,
}

impl<T> Default for Store<T> {
    fn default() -> Self {
        Store {
            prepared: HashMap::new(),
            committed: Vec::new(),
            commits: 0,
        }
    }
}

/// A two-phase sink over a [`Store`].
pub struct MemSink<T> {
    pub store: Arc<Mutex<Store<T>>>,
    /// Fails the pre-commit of this core (for the failure tests).
    pub fail_core: Option<usize>,
    /// Fails this many commits before committing again.
    pub fail_commits: Arc<AtomicU64>,
}

impl<T> MemSink<T> {
    pub fn new(store: &Arc<Mutex<Store<T>>>) -> Self {
        MemSink {
            store: store.clone(),
            fail_core: None,
            fail_commits: Arc::new(AtomicU64::new(0)),
        }
    }
}

pub struct MemWriter<T> {
    store: Arc<Mutex<Store<T>>>,
    core: usize,
    staged: Vec<T>,
    fail: bool,
}

impl<T: Clone + Send + 'static> Sink<T> for MemSink<T> {
    type Writer = MemWriter<T>;
    fn writer(
        &mut self,
        core: usize,
        _cores: usize,
        _epoch: u64,
    ) -> Result<MemWriter<T>, SinkError> {
        Ok(MemWriter {
            store: self.store.clone(),
            core,
            staged: Vec::new(),
            fail: self.fail_core == Some(core),
        })
    }
    fn committer(&self) -> Arc<dyn Committer> {
        Arc::new(MemCommitter(self.store.clone(), self.fail_commits.clone()))
    }
}

impl<T: Send + 'static> SinkWriter<T> for MemWriter<T> {
    fn write(&mut self, item: T) -> Result<(), SinkError> {
        self.staged.push(item);
        Ok(())
    }
    fn pre_commit(&mut self, epoch: u64) -> Result<Prepared, SinkError> {
        if self.fail {
            return Err(SinkError::Io {
                what: "the test's failing sink".into(),
                source: std::io::Error::other("disk full"),
            });
        }
        let staged = std::mem::take(&mut self.staged);
        self.store
            .lock()
            .unwrap()
            .prepared
            .insert((epoch, self.core as u32), staged);
        Ok(Prepared {
            epoch,
            core: self.core as u32,
            data: Vec::new(),
        })
    }
}

struct MemCommitter<T>(Arc<Mutex<Store<T>>>, Arc<AtomicU64>);

impl<T: Send + 'static> Committer for MemCommitter<T> {
    fn commit(&self, txn: &Prepared) -> Result<(), SinkError> {
        let failing = self.1.load(Ordering::Acquire);
        if failing > 0 {
            self.1.store(failing - 1, Ordering::Release);
            return Err(SinkError::Io {
                what: "the test's failing commit".into(),
                source: std::io::Error::other("connection reset"),
            });
        }
        let mut s = self.0.lock().unwrap();
        if let Some(items) = s.prepared.remove(&(txn.epoch, txn.core)) {
            s.committed.extend(items);
            s.commits += 1;
        }
        Ok(())
    }
    fn abort(&self, txn: &Prepared) -> Result<(), SinkError> {
        self.0
            .lock()
            .unwrap()
            .prepared
            .remove(&(txn.epoch, txn.core));
        Ok(())
    }
    fn abort_others(&self, keep: &[Prepared]) -> Result<(), SinkError> {
        let keep: Vec<_> = keep.iter().map(|p| (p.epoch, p.core)).collect();
        self.0
            .lock()
            .unwrap()
            .prepared
            .retain(|k, _| keep.contains(k));
        Ok(())
    }
}
