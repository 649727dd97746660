//! When a map or buffer gives back room it no longer needs: one rule for the
//! windows and the timer service alike, so that each shrinks at the same
//! slack.

/// Whether a map or buffer with room for `capacity` items, of which at most
/// `need` were used of late, keeps far more room than it needs: more than
/// [`SHRINK_ABOVE`] times as much, counting small needs as
/// [`KEEP_AT_LEAST`]. A window that saw a burst of keys then gives the room
/// back; one whose load varies less than that keeps its room, so that in
/// steady state it does not allocate.
#[inline]
pub(crate) const fn oversized(capacity: usize, need: usize) -> bool {
    let need = if need > KEEP_AT_LEAST {
        need
    } else {
        KEEP_AT_LEAST
    };
    capacity / SHRINK_ABOVE > need
}

/// See [`oversized`].
pub(crate) const SHRINK_ABOVE: usize = 4;
/// See [`oversized`].
pub(crate) const KEEP_AT_LEAST: usize = 64;
