//! What travels through a queue: events and, in band with them, control.

/// Event time, in milliseconds since an epoch the pipeline chooses.
pub type Timestamp = u64;

/// The lower of two watermarks, either of which may be absent (an input
/// with no watermark, or none left, holds nothing back).
#[inline]
pub(crate) fn min_of(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// One item in a core's inbox. Control messages travel in band so that they
/// keep their order relative to the events around them: a watermark promises
/// nothing older follows *on this channel*, a barrier cuts the stream for a
/// checkpoint, and `End` says the channel is done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message<T> {
    /// A data event.
    Event(T),
    /// Data events in submission order, sent as one message by
    /// `submit_iter`; each holds one credit. The receiver hands the emptied
    /// vector back to the sender for the next batch.
    Batch(Vec<T>),
    /// No event with an earlier timestamp will follow on this channel.
    Watermark(Timestamp),
    /// A checkpoint barrier with its checkpoint id.
    Barrier(u64),
    /// The sender closed the channel; nothing follows.
    End,
}
