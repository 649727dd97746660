//! A pipeline with several inputs: each input is a port of one sum type.
//!
//! A `stream!` with inputs `Person` and `Auction` (see the `stream!`
//! reference, "Several inputs") takes `Either<Person, Auction>`; with a
//! third input, `Either<Either<Person, Auction>, Bid>`, as its `union`s
//! nest. Nobody writes these: [`Runtime::port`](crate::Runtime::port)
//! gives a handle for one input, typed by that input's events, which wraps
//! each event on its way in; which port is meant follows from the event
//! type, as `collect` follows from the collection's.
//!
//! ```
//! use laminar_runtime::port::{Either, InLeft, InRight, Here, Port};
//! type In = Either<Either<u8, String>, u64>;
//! let e = <In as Port<String, InLeft<InRight<Here>>>>::wrap("hi".into());
//! assert_eq!(e, Either::Left(Either::Right("hi".to_string())));
//! assert_eq!(<In as Port<u64, InRight<Here>>>::unwrap(Either::Right(7)), Ok(7));
//! ```

use core::marker::PhantomData;

use crate::input::{Admission, Admitted, Input};
use crate::source::{Read, Source, Split};
use crate::{Route, SubmitError, Timestamp};

/// One of two inputs' events: the events of a pipeline with two inputs, or
/// of a `union` of two streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Either<A, B> {
    /// An event of the first input.
    Left(A),
    /// An event of the second input.
    Right(B),
}

/// The port is the whole type.
#[derive(Clone, Copy, Debug, Default)]
pub struct Here;

/// The port is in the left side of an [`Either`], at `I` there.
#[derive(Clone, Copy, Debug, Default)]
pub struct InLeft<I>(PhantomData<I>);

/// The port is in the right side of an [`Either`], at `I` there.
#[derive(Clone, Copy, Debug, Default)]
pub struct InRight<I>(PhantomData<I>);

/// `Self` has a port for events `E`, at the place `Ix` ([`Here`],
/// [`InLeft`], [`InRight`]); `Ix` is inferred, and exists so that two
/// inputs of one type are two ports, not a conflict.
#[diagnostic::on_unimplemented(
    message = "this pipeline has no input of type `{E}`",
    label = "no input takes `{E}`",
    note = "the pipeline's inputs are the types at the heads of its streams, as `{Self}` lists them"
)]
pub trait Port<E, Ix>: Sized {
    /// The event as the pipeline takes it.
    fn wrap(event: E) -> Self;
    /// The event back, if it is this port's.
    fn unwrap(self) -> Result<E, Self>;
    /// Whether the event is this port's.
    fn holds(&self) -> bool;
}

impl<T> Port<T, Here> for T {
    #[inline(always)]
    fn wrap(event: T) -> T {
        event
    }
    #[inline(always)]
    fn unwrap(self) -> Result<T, T> {
        Ok(self)
    }
    #[inline(always)]
    fn holds(&self) -> bool {
        true
    }
}

impl<A: Port<E, I>, B, E, I> Port<E, InLeft<I>> for Either<A, B> {
    #[inline(always)]
    fn wrap(event: E) -> Self {
        Either::Left(A::wrap(event))
    }
    #[inline]
    fn unwrap(self) -> Result<E, Self> {
        match self {
            Either::Left(a) => a.unwrap().map_err(Either::Left),
            other => Err(other),
        }
    }
    #[inline]
    fn holds(&self) -> bool {
        matches!(self, Either::Left(a) if a.holds())
    }
}

impl<A, B: Port<E, I>, E, I> Port<E, InRight<I>> for Either<A, B> {
    #[inline(always)]
    fn wrap(event: E) -> Self {
        Either::Right(B::wrap(event))
    }
    #[inline]
    fn unwrap(self) -> Result<E, Self> {
        match self {
            Either::Right(b) => b.unwrap().map_err(Either::Right),
            other => Err(other),
        }
    }
    #[inline]
    fn holds(&self) -> bool {
        matches!(self, Either::Right(b) if b.holds())
    }
}

/// An input handle for one port of a pipeline with several inputs: an
/// [`Input`] that takes `E` and wraps each event for the pipeline (`T`).
/// Everything [`Input`] promises holds: its own channel into every core,
/// its own watermark (which trails by the largest lateness of the
/// pipeline's inputs), backpressure, events handed back on refusal.
pub struct PortInput<E, Ix, T: Send + 'static, R> {
    input: Input<T, R>,
    _port: PhantomData<fn(E) -> Ix>,
}

/// The event a port's handle wrapped, unwrapped again: it is the port's by
/// construction.
fn back<E, Ix, T: Port<E, Ix>>(error: SubmitError<T>) -> SubmitError<E> {
    error.map(|t| match t.unwrap() {
        Ok(e) => e,
        Err(_) => unreachable!("a port's handle sends only its own port's events"),
    })
}

impl<E, Ix, T, R> PortInput<E, Ix, T, R>
where
    T: Port<E, Ix> + Send + 'static,
    R: Route<T>,
{
    pub(crate) fn new(input: Input<T, R>) -> Self {
        PortInput {
            input,
            _port: PhantomData,
        }
    }

    /// [`Input::submit`] for this port's events.
    #[inline]
    pub fn submit(&mut self, event: E) -> Result<Admission, SubmitError<E>> {
        self.input.submit(T::wrap(event)).map_err(back)
    }

    /// [`Input::submit_iter`] for this port's events.
    pub fn submit_iter<I: IntoIterator<Item = E>>(
        &mut self,
        events: I,
    ) -> Result<Admitted, SubmitError<E>> {
        self.input
            .submit_iter(events.into_iter().map(T::wrap))
            .map_err(back)
    }

    /// [`Input::flush`].
    pub fn flush(&mut self) {
        self.input.flush();
    }

    /// [`Input::advance_watermark`]: no event below `watermark` follows
    /// from this handle.
    pub fn advance_watermark(
        &mut self,
        watermark: Timestamp,
    ) -> Result<(), SubmitError<Timestamp>> {
        self.input.advance_watermark(watermark)
    }

    /// Number of cores events are spread over.
    pub fn cores(&self) -> usize {
        self.input.cores()
    }
}

impl<E, Ix, T: Send + 'static, R: Route<T>> Clone for PortInput<E, Ix, T, R> {
    fn clone(&self) -> Self {
        PortInput {
            input: self.input.clone(),
            _port: PhantomData,
        }
    }
}

impl<E, Ix, T: Send + 'static, R> core::fmt::Debug for PortInput<E, Ix, T, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PortInput")
    }
}

/// A source of one port's events, as a source of the pipeline's input:
/// what [`Runtime::attach_port`](crate::Runtime::attach_port) attaches.
pub struct PortSource<S, E, Ix> {
    source: S,
    _port: PhantomData<fn(E) -> Ix>,
}

impl<S, E, Ix> PortSource<S, E, Ix> {
    /// `source`, wrapped.
    pub fn new(source: S) -> Self {
        PortSource {
            source,
            _port: PhantomData,
        }
    }
}

impl<S, E, Ix> core::fmt::Debug for PortSource<S, E, Ix> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PortSource")
    }
}

impl<S, E, Ix> core::fmt::Debug for PortSplit<S, E, Ix> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PortSplit")
    }
}

impl<S, E, Ix, T> Source<T> for PortSource<S, E, Ix>
where
    S: Source<E>,
    E: Send + 'static,
    Ix: 'static,
    T: Port<E, Ix> + Send + 'static,
{
    type Split = PortSplit<S::Split, E, Ix>;

    fn split(&mut self, core: usize, cores: usize) -> Self::Split {
        PortSplit {
            split: self.source.split(core, cores),
            buf: Vec::new(),
            _port: PhantomData,
        }
    }

    fn replayable(&self) -> bool {
        self.source.replayable()
    }

    fn seek(
        &mut self,
        positions: &[crate::source::Position],
    ) -> Result<(), crate::source::SourceError> {
        self.source.seek(positions)
    }
}

/// One core's share of a [`PortSource`]: reads the port's events into a
/// buffer it keeps, and wraps them.
pub struct PortSplit<S, E, Ix> {
    split: S,
    buf: Vec<E>,
    _port: PhantomData<fn() -> Ix>,
}

impl<S, E, Ix, T> Split<T> for PortSplit<S, E, Ix>
where
    S: Split<E>,
    E: Send + 'static,
    Ix: 'static,
    T: Port<E, Ix>,
{
    fn read(&mut self, buf: &mut Vec<T>, max: usize) -> Read {
        let read = self.split.read(&mut self.buf, max);
        buf.extend(self.buf.drain(..).map(T::wrap));
        read
    }

    fn positions(&self, out: &mut Vec<crate::source::Position>) {
        self.split.positions(out);
    }
}
