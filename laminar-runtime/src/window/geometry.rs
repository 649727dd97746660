//! The durations of a tumbling or sliding window: its size, its slide, and
//! the pane (their greatest common divisor) each event is added to.
//!
//! A window's arithmetic divides timestamps by these durations. When the
//! durations are literals (`tumbling(10s)`), `stream!` passes them as
//! [`Fixed`], whose durations are constants of its type: every division is
//! by a constant, which the compiler turns into a multiply and a shift (and
//! into nothing at all when the divisor is 1, as a tumbling window's panes
//! per window are). When a duration is an expression, known only when the
//! pipeline is made, it is [`Dynamic`], and the divisions are real ones.

use core::fmt::Debug;

use super::gcd;
use crate::message::Timestamp;

/// The durations of an aligned window, in milliseconds: a window of
/// [`size`](Geometry::size) starts every [`slide`](Geometry::slide), and
/// is the union of [`pane`](Geometry::pane)s of `gcd(size, slide)`.
///
/// Implemented by [`Fixed`] (constants) and [`Dynamic`] (values).
pub trait Geometry: Copy + Send + Sync + Debug + 'static {
    /// The window's length (at least 1).
    fn size(&self) -> Timestamp;
    /// The distance between two windows' starts (from 1 to `size`).
    fn slide(&self) -> Timestamp;
    /// The pane's length: `gcd(size, slide)`.
    fn pane(&self) -> Timestamp;
    /// Panes per slide: `slide / pane`.
    fn panes_per_slide(&self) -> u64;
    /// Panes per window: `size / pane`.
    fn panes_per_window(&self) -> u64;
}

/// Durations known at compile time: a window of `SIZE` ms every `SLIDE`
/// ms, both literals checked by `stream!` (`SIZE > 0`, `0 < SLIDE <=
/// SIZE`; other values fail to compile).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fixed<const SIZE: u64, const SLIDE: u64>;

impl<const SIZE: u64, const SLIDE: u64> Fixed<SIZE, SLIDE> {
    /// `gcd(SIZE, SLIDE)`, evaluated (and the durations checked) when the
    /// type is used.
    const PANE: Timestamp = {
        assert!(SIZE > 0, "a window's size must be at least 1 ms");
        assert!(
            SLIDE > 0 && SLIDE <= SIZE,
            "a window's slide must be at least 1 ms and at most its size"
        );
        gcd(SIZE, SLIDE)
    };
}

impl<const SIZE: u64, const SLIDE: u64> Geometry for Fixed<SIZE, SLIDE> {
    #[inline(always)]
    fn size(&self) -> Timestamp {
        SIZE
    }
    #[inline(always)]
    fn slide(&self) -> Timestamp {
        SLIDE
    }
    #[inline(always)]
    fn pane(&self) -> Timestamp {
        Self::PANE
    }
    #[inline(always)]
    fn panes_per_slide(&self) -> u64 {
        SLIDE / Self::PANE
    }
    #[inline(always)]
    fn panes_per_window(&self) -> u64 {
        SIZE / Self::PANE
    }
}

/// Durations known when the pipeline is made (a duration written as an
/// expression).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dynamic {
    size: Timestamp,
    slide: Timestamp,
    pane: Timestamp,
    per_slide: u64,
    per_window: u64,
}

impl Dynamic {
    /// A window of `size` every `slide`; a size of 0 is taken as 1, and the
    /// slide is brought within `1..=size`. (Expressions are checked when
    /// the runtime is built, so a pipeline with such a value never runs.)
    #[inline]
    pub fn new(size: Timestamp, slide: Timestamp) -> Self {
        let size = size.max(1);
        let slide = slide.clamp(1, size);
        let pane = gcd(size, slide);
        Dynamic {
            size,
            slide,
            pane,
            per_slide: slide / pane,
            per_window: size / pane,
        }
    }
}

impl Geometry for Dynamic {
    #[inline(always)]
    fn size(&self) -> Timestamp {
        self.size
    }
    #[inline(always)]
    fn slide(&self) -> Timestamp {
        self.slide
    }
    #[inline(always)]
    fn pane(&self) -> Timestamp {
        self.pane
    }
    #[inline(always)]
    fn panes_per_slide(&self) -> u64 {
        self.per_slide
    }
    #[inline(always)]
    fn panes_per_window(&self) -> u64 {
        self.per_window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_and_dynamic_agree() {
        fn same<G: Geometry>(g: G, size: u64, slide: u64) {
            let d = Dynamic::new(size, slide);
            assert_eq!(
                (
                    g.size(),
                    g.slide(),
                    g.pane(),
                    g.panes_per_slide(),
                    g.panes_per_window()
                ),
                (
                    d.size(),
                    d.slide(),
                    d.pane(),
                    d.panes_per_slide(),
                    d.panes_per_window()
                )
            );
        }
        same(Fixed::<10_000, 10_000>, 10_000, 10_000);
        same(Fixed::<10_000, 2_000>, 10_000, 2_000);
        same(Fixed::<10, 4>, 10, 4);
        same(Fixed::<7, 3>, 7, 3);
        same(Fixed::<1, 1>, 1, 1);
        let d = Dynamic::new(10, 4);
        assert_eq!(
            (d.pane(), d.panes_per_slide(), d.panes_per_window()),
            (2, 2, 5)
        );
        let d = Dynamic::new(0, 9);
        assert_eq!((d.size(), d.slide()), (1, 1));
    }
}
