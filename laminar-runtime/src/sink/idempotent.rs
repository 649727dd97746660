//! A sink around an idempotent upsert of the user's: results are delivered
//! at least once, and the effect is exactly once because a result
//! delivered twice overwrites itself.

use std::sync::Arc;

use super::{Committer, Prepared, Sink, SinkError, SinkWriter};

/// A [`Sink`] that calls `f` on each result as soon as its core writes it.
///
/// There is no transaction: [`pre_commit`](SinkWriter::pre_commit) returns
/// an empty [`Prepared`], and committing or aborting it does nothing.
///
/// **Results are delivered again after a crash.** Everything written
/// between the last complete checkpoint and the crash was already passed
/// to `f`, and is passed again when recovery replays the sources from that
/// checkpoint. So `f` must be an upsert keyed by something deterministic
/// (a field of the result, not a clock or a counter of `f`'s own): writing
/// the same result twice must leave what writing it once leaves. An append
/// or an increment would count replayed results twice.
///
/// `f` is cloned for each core and called on that core's thread; an error
/// it returns fails the run.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use laminar_runtime::sink::{self, Sink, SinkWriter};
///
/// // Highest bid per auction, upserted by auction id.
/// let table: Arc<Mutex<HashMap<u64, u64>>> = Arc::default();
/// let t = Arc::clone(&table);
/// let mut sink = sink::idempotent(move |&(auction, price): &(u64, u64)| {
///     t.lock().unwrap().insert(auction, price);
///     Ok(())
/// });
/// let mut w = sink.writer(0, 1, 0)?;
/// w.write((1, 10))?;
/// w.write((2, 20))?;
/// let txn = w.pre_commit(1)?;
/// // A crash after this point replays (2, 20): the same upsert again.
/// w.write((2, 20))?;
/// sink.committer().commit(&txn)?;
/// assert_eq!(*table.lock().unwrap(), HashMap::from([(1, 10), (2, 20)]));
/// # Ok::<(), laminar_runtime::sink::SinkError>(())
/// ```
pub fn idempotent<T, F>(f: F) -> Idempotent<F>
where
    F: FnMut(&T) -> Result<(), SinkError> + Clone + Send + 'static,
{
    Idempotent { f }
}

/// The sink [`idempotent`] makes: at-least-once delivery to an idempotent
/// upsert `F`.
///
/// ```
/// use laminar_runtime::sink::{self, Idempotent, SinkError};
/// let sink: Idempotent<_> = sink::idempotent(|_: &u64| Ok::<(), SinkError>(()));
/// # let _ = sink;
/// ```
#[derive(Clone)]
pub struct Idempotent<F> {
    f: F,
}

impl<F> std::fmt::Debug for Idempotent<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotent").finish_non_exhaustive()
    }
}

impl<T, F> Sink<T> for Idempotent<F>
where
    F: FnMut(&T) -> Result<(), SinkError> + Clone + Send + 'static,
{
    type Writer = IdempotentWriter<F>;

    fn writer(
        &mut self,
        core: usize,
        _cores: usize,
        epoch: u64,
    ) -> Result<Self::Writer, SinkError> {
        Ok(IdempotentWriter {
            f: self.f.clone(),
            core: u32::try_from(core).unwrap_or(u32::MAX),
            last: epoch,
        })
    }

    fn committer(&self) -> Arc<dyn Committer> {
        Arc::new(NoTransactions)
    }
}

/// One core's writer of an [`Idempotent`] sink: calls the upsert on each
/// result, at once.
///
/// ```
/// use laminar_runtime::sink::{self, IdempotentWriter, Sink, SinkWriter};
/// let mut sink = sink::idempotent(|n: &u64| {
///     assert!(*n < 10);
///     Ok(())
/// });
/// let mut w = sink.writer(0, 1, 0)?;
/// w.write(3)?;
/// let txn = w.pre_commit(1)?;
/// assert!(txn.data.is_empty());
/// # let _: &IdempotentWriter<_> = &w;
/// # Ok::<(), laminar_runtime::sink::SinkError>(())
/// ```
pub struct IdempotentWriter<F> {
    f: F,
    core: u32,
    last: u64,
}

impl<F> std::fmt::Debug for IdempotentWriter<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotentWriter")
            .field("core", &self.core)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl<T, F> SinkWriter<T> for IdempotentWriter<F>
where
    F: FnMut(&T) -> Result<(), SinkError> + Clone + Send + 'static,
{
    fn write(&mut self, item: T) -> Result<(), SinkError> {
        (self.f)(&item)
    }

    /// Nothing to make durable: `f` has seen every result already.
    fn pre_commit(&mut self, epoch: u64) -> Result<Prepared, SinkError> {
        if epoch <= self.last {
            return Err(SinkError::EpochOrder {
                epoch,
                last: self.last,
            });
        }
        self.last = epoch;
        Ok(Prepared {
            epoch,
            core: self.core,
            data: Vec::new(),
        })
    }
}

/// The committer of a sink without transactions.
struct NoTransactions;

impl Committer for NoTransactions {
    fn commit(&self, _txn: &Prepared) -> Result<(), SinkError> {
        Ok(())
    }

    fn abort(&self, _txn: &Prepared) -> Result<(), SinkError> {
        Ok(())
    }

    fn abort_others(&self, _keep: &[Prepared]) -> Result<(), SinkError> {
        Ok(())
    }
}
