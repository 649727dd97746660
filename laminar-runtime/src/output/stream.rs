//! An output handle as a [`futures_core::Stream`] (the `tokio` feature): a
//! task reads results, or late events, without a thread of its own.
//!
//! A task that finds nothing registers its [`Waker`](std::task::Waker) in
//! the output's reader slot, the one a sleeping reader thread waits on, and
//! looks again: the worker that publishes next (or a core that ends) wakes
//! it, by the same fence-ordered handshake that wakes a thread, so no
//! result is missed between the look and the sleep.

use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::Stream;

use super::{Output, RecvError, TryRecvError};

// Nothing in a handle is pinned in place: it is a set of ring ends and a
// buffer, moved freely between polls.
impl<T> Unpin for Output<T> {}

impl<T> Output<T> {
    /// Polls for the next result: `Ready(Some)` with one, `Ready(None)`
    /// once the pipeline has ended and everything was read, `Pending`
    /// (with `cx`'s waker registered) otherwise.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let shared = self.shared.clone();
        shared.reader.awake();
        match self.try_recv() {
            Ok(x) => return Poll::Ready(Some(x)),
            Err(TryRecvError::Ended) => return Poll::Ready(None),
            Err(TryRecvError::Empty) => {}
        }
        // Announce the sleep, then look again: a worker that published
        // before the announcement is seen now, one after it wakes the task.
        shared.reader.sleep_task(cx.waker());
        match self.try_recv() {
            Ok(x) => {
                shared.reader.awake();
                Poll::Ready(Some(x))
            }
            Err(TryRecvError::Ended) => {
                shared.reader.awake();
                Poll::Ready(None)
            }
            Err(TryRecvError::Empty) => Poll::Pending,
        }
    }

    /// Waits, without blocking a thread, for the next result; `Err` once
    /// the pipeline has ended and everything was read. The async
    /// [`recv`](Self::recv); the handle is also a [`Stream`].
    ///
    /// ```
    /// # use laminar_runtime::{operator::{Emit, Operator}, pipeline::Pipeline, routing::RoundRobin, Runtime};
    /// # struct Sq; impl Operator for Sq { type In = u64; type Out = u64;
    /// #   fn on_event<E: Emit<u64>>(&mut self, e: u64, o: &mut E) { o.emit(e * e) } }
    /// # struct P; impl Pipeline for P { type In = u64; type Out = u64; type Op = Sq; type Route = RoundRobin;
    /// #   fn route(&self) -> RoundRobin { RoundRobin::default() } fn instantiate(&self, _: usize) -> Sq { Sq } }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut rt = Runtime::builder().cores(2).build(P)?;
    /// let mut output = rt.output()?;
    /// let reader = tokio::spawn(async move {
    ///     let mut sum = 0;
    ///     while let Ok(x) = output.recv_async().await {
    ///         sum += x;
    ///     }
    ///     sum
    /// });
    /// let mut input = rt.input();
    /// input.submit_all_async(1..=100).await?;
    /// drop(input);
    /// // `finish` joins threads: off the async workers.
    /// tokio::task::spawn_blocking(move || rt.finish()).await.unwrap()?;
    /// assert_eq!(reader.await.unwrap(), (1..=100u64).map(|x| x * x).sum::<u64>());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn recv_async(&mut self) -> Result<T, RecvError> {
        core::future::poll_fn(|cx| self.poll_recv(cx))
            .await
            .ok_or(RecvError)
    }
}

/// Results (or late events) as they come; ends once the pipeline has ended
/// and everything was read. Reading here applies backpressure as reading
/// from a thread does.
impl<T> Stream for Output<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_recv(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.buf.len(), None)
    }
}
