//! The time after two branches that meet (the sides of a union, the
//! outputs of a split): each branch's watermark and end, and the lower of
//! them passed on once it moves.

use crate::message::Timestamp;
use crate::operator::Emit;

/// Each side's watermark and end, and what was passed on.
#[derive(Clone, Debug, Default)]
pub(super) struct SideTimes {
    pub(super) watermark: [Option<Timestamp>; 2],
    pub(super) ended: [bool; 2],
    sent: Option<Timestamp>,
    end_sent: bool,
    /// The last checkpoint barrier each side passed, and the last passed
    /// on: a barrier goes on once both sides had it (aligned).
    barrier: [u64; 2],
    barrier_sent: u64,
}

impl SideTimes {
    /// Side `side` passed barrier `epoch`: passes it on once both have.
    pub(super) fn side_barrier<T, E: Emit<T>>(&mut self, side: usize, epoch: u64, out: &mut E) {
        self.barrier[side] = self.barrier[side].max(epoch);
        self.align::<T, E>(out);
    }

    /// The core's barrier reached both sides: the sides that pass time on
    /// (no exchange) are through it.
    pub(super) fn core_barrier<T, E: Emit<T>>(
        &mut self,
        passes: [bool; 2],
        epoch: u64,
        out: &mut E,
    ) {
        for (i, passes) in passes.into_iter().enumerate() {
            if passes {
                self.barrier[i] = self.barrier[i].max(epoch);
            }
        }
        self.align::<T, E>(out);
    }

    fn align<T, E: Emit<T>>(&mut self, out: &mut E) {
        // An ended side has nothing left before any barrier.
        let side = |i: usize| {
            if self.ended[i] {
                u64::MAX
            } else {
                self.barrier[i]
            }
        };
        let through = side(0)
            .min(side(1))
            .min(self.barrier[0].max(self.barrier[1]));
        if through > self.barrier_sent {
            self.barrier_sent = through;
            out.barrier(through);
        }
    }

    /// The core's watermark reached both sides: the sides that pass time
    /// on (no exchange) are at it.
    pub(super) fn core_watermark<T, E: Emit<T>>(
        &mut self,
        passes: [bool; 2],
        watermark: Timestamp,
        out: &mut E,
    ) {
        for (i, passes) in passes.into_iter().enumerate() {
            if passes {
                self.watermark[i] = Some(watermark);
            }
        }
        self.advance::<T, E>(out);
    }

    /// The core's input ended: the sides that pass time on have ended.
    pub(super) fn core_end<T, E: Emit<T>>(&mut self, passes: [bool; 2], out: &mut E) {
        for (i, passes) in passes.into_iter().enumerate() {
            if passes {
                self.ended[i] = true;
            }
        }
        self.advance::<T, E>(out);
    }

    /// Passes on the lower of the sides' watermarks once both have one and
    /// it moved, and the end once both ended.
    pub(super) fn advance<T, E: Emit<T>>(&mut self, out: &mut E) {
        if self.ended == [true, true] {
            if !self.end_sent {
                self.end_sent = true;
                out.end();
            }
            return;
        }
        let side = |i: usize| {
            if self.ended[i] {
                Some(Timestamp::MAX)
            } else {
                self.watermark[i]
            }
        };
        if let (Some(l), Some(r)) = (side(0), side(1)) {
            let low = l.min(r);
            if self.sent.is_none_or(|s| low > s) {
                self.sent = Some(low);
                out.watermark(low);
            }
        }
    }
}
