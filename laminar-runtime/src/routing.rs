//! Which core an event goes to.
//!
//! Keyed streams are routed by key: the key is hashed with rustc-hash's
//! `FxHasher` (no random seed, so a key lands on the same core in every run),
//! the hash picks one of a fixed number of [`KeyGroups`], and the key groups are
//! split into contiguous ranges, one range per core. State will later move
//! between cores by whole key groups, never by single keys, so the key → group
//! step must not depend on the core count. Unkeyed streams are spread
//! round-robin.

use core::hash::{Hash, Hasher};

/// Hashes a key the way the router does: FxHash, stable across runs and
/// platforms of the same pointer width.
///
/// ```
/// use laminar_runtime::routing::key_hash;
/// assert_eq!(key_hash(&42u64), key_hash(&42u64));
/// ```
#[inline]
pub fn key_hash<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

/// The fixed partition of the key space.
///
/// ```
/// use laminar_runtime::routing::KeyGroups;
/// let groups = KeyGroups::DEFAULT;
/// let g = groups.group_of_hash(0xDEAD_BEEF);
/// assert!(g < groups.count());
/// assert!(groups.core_of_group(g, 2) < 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyGroups {
    /// log2 of the number of groups, which is a power of two so that no
    /// step of routing divides.
    shift: u32,
}

impl KeyGroups {
    /// 256 groups: fine enough to balance up to a few dozen cores, coarse
    /// enough that moving a group moves a useful amount of state.
    pub const DEFAULT: KeyGroups = KeyGroups { shift: 8 };

    /// A partition into `count` groups, rounded up to a power of two (at
    /// least 1, at most 2^31).
    ///
    /// ```
    /// use laminar_runtime::routing::KeyGroups;
    /// assert_eq!(KeyGroups::new(1000).count(), 1024);
    /// assert_eq!(KeyGroups::new(0).count(), 1);
    /// ```
    pub const fn new(count: u32) -> Self {
        let count = if count > 1 << 31 { 1 << 31 } else { count };
        KeyGroups {
            shift: count.next_power_of_two().trailing_zeros(),
        }
    }

    /// Number of key groups.
    pub const fn count(self) -> u32 {
        1 << self.shift
    }

    /// The key group of a hash. Uses the high bits, because FxHash mixes
    /// its input into the high bits of the product.
    #[inline]
    pub const fn group_of_hash(self, hash: u64) -> u32 {
        if self.shift == 0 {
            0
        } else {
            (hash >> (64 - self.shift)) as u32
        }
    }

    /// The core that owns `group` when there are `cores` cores: groups are
    /// dealt out in contiguous ranges of near-equal size. A multiply and a
    /// shift: this runs for every event routed.
    #[inline]
    pub const fn core_of_group(self, group: u32, cores: usize) -> usize {
        ((group as u64 * cores as u64) >> self.shift) as usize
    }

    /// The core that owns `key`.
    #[inline]
    pub fn core_of_key<K: Hash + ?Sized>(self, key: &K, cores: usize) -> usize {
        self.core_of_group(self.group_of_hash(key_hash(key)), cores)
    }
}

impl Default for KeyGroups {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Picks the core for each event a handle submits. One instance per input
/// handle, so it may keep state (a round-robin cursor) without sharing.
pub trait Route<T>: Clone + Send + 'static {
    /// The core, in `0..cores`, that `event` goes to.
    fn core_of(&mut self, event: &T, cores: usize) -> usize;

    /// The event's time, for pipelines in event time: the handle tracks the
    /// highest one it has submitted and sends watermarks from it.
    #[inline]
    fn timestamp(&self, event: &T) -> Option<crate::Timestamp> {
        let _ = event;
        None
    }

    /// How far behind the highest timestamp the watermark trails.
    fn out_of_orderness(&self) -> crate::Timestamp {
        0
    }

    /// Whether an event may be processed on any core: then a core keeps
    /// the events its own sources read (no exchange). True for round-robin
    /// routing, which has no key; false where a key or a single core
    /// decides.
    fn any_core(&self) -> bool {
        false
    }
}

/// Every event to core 0: for `window_all`, whose single window must see
/// every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct ToOne;

impl<T> Route<T> for ToOne {
    #[inline]
    fn core_of(&mut self, _event: &T, _cores: usize) -> usize {
        0
    }
}

/// Spreads events over the cores in turn.
#[derive(Clone, Debug, Default)]
pub struct RoundRobin {
    next: usize,
}

impl<T> Route<T> for RoundRobin {
    #[inline]
    fn core_of(&mut self, _event: &T, cores: usize) -> usize {
        let core = self.next;
        self.next = if core + 1 >= cores { 0 } else { core + 1 };
        core
    }

    fn any_core(&self) -> bool {
        true
    }
}

/// Routes by a key extracted from each event.
#[derive(Clone, Debug)]
pub struct ByKey<F> {
    key: F,
    groups: KeyGroups,
}

impl<F> ByKey<F> {
    /// Routes by `key`, over the default key groups.
    pub fn new(key: F) -> Self {
        ByKey {
            key,
            groups: KeyGroups::DEFAULT,
        }
    }
}

impl<T, K, F> Route<T> for ByKey<F>
where
    F: Fn(&T) -> K + Clone + Send + 'static,
    K: Hash,
{
    #[inline]
    fn core_of(&mut self, event: &T, cores: usize) -> usize {
        self.groups.core_of_key(&(self.key)(event), cores)
    }
}
