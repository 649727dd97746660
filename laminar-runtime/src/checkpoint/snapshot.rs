//! What one core writes at a checkpoint, and what a core reads back when a
//! run recovers: the stages' state, entry by entry, each entry tagged with
//! its key group so that a run with another core count can deal the
//! entries out to the cores that own their keys now.
//!
//! A core's snapshot file is
//!
//! ```text
//! [magic "LMSNAP01"][epoch: u64][stages: u32]
//!   per stage:  [name len: u32][name][types len: u32][types]
//! [positions: u32]
//!   per position: [source: u32][partition: u32][offset: u64]
//! [entries...]
//!   per entry:  [stage: u32][part: u8][group: u32][key len: u32][value len: u32][key][value]
//! [crc32 of everything before: u32]
//! ```
//!
//! all little-endian. The checksum covers the whole file: a file cut short
//! or damaged is refused at recovery ([`StateError::BadSnapshot`]), never
//! read as state.

use core::hash::Hash;
use core::ops::Range;

use crate::routing::{KeyGroups, key_hash};
use crate::source::Position;
use crate::state::{Codec, StateError};

const MAGIC: &[u8; 8] = b"LMSNAP01";

/// A stage's section in a [`Snapshot`], from [`Snapshot::stage`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageId(u32);

/// One core's state at one checkpoint, as its stages write it at the
/// barrier.
///
/// ```
/// use laminar_runtime::checkpoint::{Restored, Snapshot};
///
/// let mut snap = Snapshot::new(1);
/// let counts = snap.stage("2-fold", "u64 -> u64");
/// snap.put_keyed(counts, 0, &7u64, &3u64)?;
/// let bytes = snap.finish();
/// // A run on one core gets every entry back.
/// let back = Restored::from_files([bytes.as_slice()], 0, 1)?;
/// let stage = back.stage("2-fold", "u64 -> u64")?.unwrap();
/// let entries: Vec<(u64, u64)> = stage.decode(0).collect::<Result<_, _>>()?;
/// assert_eq!(entries, [(7, 3)]);
/// # Ok::<(), laminar_runtime::state::StateError>(())
/// ```
#[derive(Debug)]
pub struct Snapshot {
    epoch: u64,
    stages: Vec<(String, String)>,
    positions: Vec<(u32, Position)>,
    entries: Vec<u8>,
    count: u64,
    scratch: Vec<u8>,
}

impl Snapshot {
    /// An empty snapshot for checkpoint `epoch`.
    pub fn new(epoch: u64) -> Self {
        Snapshot {
            epoch,
            stages: Vec::new(),
            positions: Vec::new(),
            entries: Vec::new(),
            count: 0,
            scratch: Vec::new(),
        }
    }

    /// The checkpoint it belongs to.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Entries written so far.
    pub fn entries(&self) -> u64 {
        self.count
    }

    /// The section of stage `name`, whose state has types `types` (the
    /// recovery refuses a section whose types differ from the stage's
    /// then: a state type that changed is an error, never garbage).
    pub fn stage(&mut self, name: &str, types: &str) -> StageId {
        if let Some(i) = self.stages.iter().position(|(n, _)| n == name) {
            return StageId(i as u32);
        }
        self.stages.push((name.to_owned(), types.to_owned()));
        StageId(self.stages.len() as u32 - 1)
    }

    /// Records where a source's partition stands.
    pub(crate) fn position(&mut self, source: u32, position: Position) {
        self.positions.push((source, position));
    }

    /// Adds one entry of encoded key and value, in key group `group`;
    /// `part` tells a stage's kinds of entries apart (its values, its
    /// timers).
    pub fn put(&mut self, stage: StageId, part: u8, group: u32, key: &[u8], value: &[u8]) {
        let e = &mut self.entries;
        e.extend_from_slice(&stage.0.to_le_bytes());
        e.push(part);
        e.extend_from_slice(&group.to_le_bytes());
        e.extend_from_slice(&(key.len() as u32).to_le_bytes());
        e.extend_from_slice(&(value.len() as u32).to_le_bytes());
        e.extend_from_slice(key);
        e.extend_from_slice(value);
        self.count += 1;
    }

    /// Adds `key` and `value`, encoded, in `key`'s key group (the one the
    /// runtime routes `key` by).
    pub fn put_keyed<K: Codec + Hash, V: Codec>(
        &mut self,
        stage: StageId,
        part: u8,
        key: &K,
        value: &V,
    ) -> Result<(), StateError> {
        let group = KeyGroups::DEFAULT.group_of_hash(key_hash(key));
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        key.encode(&mut scratch)?;
        let key_len = scratch.len();
        value.encode(&mut scratch)?;
        let (k, v) = scratch.split_at(key_len);
        self.put(stage, part, group, k, v);
        self.scratch = scratch;
        Ok(())
    }

    /// The file's bytes, checksum included.
    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() + 64);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.epoch.to_le_bytes());
        out.extend_from_slice(&(self.stages.len() as u32).to_le_bytes());
        for (name, types) in &self.stages {
            for s in [name, types] {
                out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        }
        out.extend_from_slice(&(self.positions.len() as u32).to_le_bytes());
        for (source, p) in &self.positions {
            out.extend_from_slice(&source.to_le_bytes());
            out.extend_from_slice(&p.partition.to_le_bytes());
            out.extend_from_slice(&p.offset.to_le_bytes());
        }
        out.extend_from_slice(&self.entries);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }
}

/// One stage's entries that a core owns after recovery.
#[derive(Debug, Default)]
pub struct StageState {
    data: Vec<u8>,
    entries: Vec<(u8, Range<usize>, Range<usize>)>,
}

impl StageState {
    /// The entries of kind `part`, as encoded key and value.
    pub fn raw(&self, part: u8) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.entries
            .iter()
            .filter(move |(p, _, _)| *p == part)
            .map(|(_, k, v)| (&self.data[k.clone()], &self.data[v.clone()]))
    }

    /// The entries of kind `part`, decoded.
    pub fn decode<K: Codec, V: Codec>(
        &self,
        part: u8,
    ) -> impl Iterator<Item = Result<(K, V), StateError>> {
        self.raw(part)
            .map(|(k, v)| Ok((K::decode(k)?, V::decode(v)?)))
    }

    /// Number of entries, all kinds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// What one core of a recovering run gets back from a checkpoint: the
/// entries of the key groups it owns now, per stage, from every core's
/// file; and every source position.
#[derive(Debug, Default)]
pub struct Restored {
    epoch: u64,
    /// Per stage: its name, its state types, its entries.
    stages: Vec<(String, String, StageState)>,
    positions: Vec<(u32, Position)>,
}

/// Reads little-endian fields off a byte slice, refusing to run past it.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StateError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(StateError::BadSnapshot { at: self.at });
        };
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, StateError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, StateError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn string(&mut self) -> Result<String, StateError> {
        let n = self.u32()? as usize;
        let at = self.at;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| StateError::BadSnapshot { at })
    }
}

impl Restored {
    /// The state core `core` of `cores` owns, from every core's snapshot
    /// file of one checkpoint (any number of files: the core count of the
    /// run that wrote them does not matter).
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = &'a [u8]>,
        core: usize,
        cores: usize,
    ) -> Result<Self, StateError> {
        Ok(Self::deal(files, cores)?
            .into_iter()
            .nth(core)
            .unwrap_or_default())
    }

    /// What each of `cores` cores owns, from every core's snapshot file of
    /// one checkpoint: each file read once, each entry dealt to the core
    /// that owns its key group now.
    pub fn deal<'a>(
        files: impl IntoIterator<Item = &'a [u8]>,
        cores: usize,
    ) -> Result<Vec<Self>, StateError> {
        let mut out: Vec<Restored> = (0..cores.max(1)).map(|_| Restored::default()).collect();
        for file in files {
            deal_file(&mut out, file)?;
        }
        Ok(out)
    }

    /// The names of the stages the checkpoint has a section for.
    pub fn stage_names(&self) -> impl Iterator<Item = &str> {
        self.stages.iter().map(|(name, _, _)| name.as_str())
    }

    /// The checkpoint restored.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Stage `name`'s entries, if the checkpoint has its section; a
    /// section whose types are not `types` is
    /// [`StateError::TypeChanged`].
    pub fn stage(&self, name: &str, types: &str) -> Result<Option<&StageState>, StateError> {
        match self.stages.iter().find(|(n, _, _)| n == name) {
            None => Ok(None),
            Some((_, on_disk, _)) if on_disk != types => Err(StateError::TypeChanged {
                path: std::path::PathBuf::from("checkpoint"),
                stage: name.to_owned(),
                on_disk: on_disk.clone(),
                now: types.to_owned(),
            }),
            Some((_, _, st)) => Ok(Some(st)),
        }
    }

    /// Every source position the checkpoint recorded: per source (by the
    /// order they were attached), its partitions' offsets.
    pub fn positions(&self, source: u32) -> Vec<Position> {
        self.positions
            .iter()
            .filter(|(s, _)| *s == source)
            .map(|(_, p)| *p)
            .collect()
    }
}

/// Reads one core's snapshot file into `out`, one [`Restored`] per core of
/// the recovering run.
fn deal_file(out: &mut [Restored], file: &[u8]) -> Result<(), StateError> {
    let Some(body_len) = file.len().checked_sub(4) else {
        return Err(StateError::BadSnapshot { at: 0 });
    };
    let (body, crc) = file.split_at(body_len);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return Err(StateError::BadSnapshot { at: body_len });
    }
    let mut c = Cursor { bytes: body, at: 0 };
    if c.take(8)? != MAGIC {
        return Err(StateError::BadSnapshot { at: 0 });
    }
    let epoch = c.u64()?;
    let stages = c.u32()? as usize;
    // Per core, the index of each of this file's stages in its list.
    let mut slots: Vec<Vec<usize>> = out
        .iter()
        .map(|_| Vec::with_capacity(stages.min(1 << 16)))
        .collect();
    for _ in 0..stages {
        let name = c.string()?;
        let types = c.string()?;
        for (r, slots) in out.iter_mut().zip(&mut slots) {
            let i = match r.stages.iter().position(|(n, _, _)| *n == name) {
                Some(i) if r.stages[i].1 != types => {
                    return Err(StateError::BadSnapshot { at: c.at });
                }
                Some(i) => i,
                None => {
                    r.stages
                        .push((name.clone(), types.clone(), StageState::default()));
                    r.stages.len() - 1
                }
            };
            slots.push(i);
        }
    }
    let positions = c.u32()?;
    for _ in 0..positions {
        let source = c.u32()?;
        let partition = c.u32()?;
        let offset = c.u64()?;
        for r in out.iter_mut() {
            r.positions.push((source, Position { partition, offset }));
        }
    }
    for r in out.iter_mut() {
        r.epoch = epoch;
    }
    let cores = out.len();
    while c.at < body.len() {
        let stage = c.u32()? as usize;
        let part = c.take(1)?[0];
        let group = c.u32()?;
        let kl = c.u32()? as usize;
        let vl = c.u32()? as usize;
        let key = c.take(kl)?;
        let value = c.take(vl)?;
        let core = KeyGroups::DEFAULT.core_of_group(group, cores);
        let (Some(r), Some(&i)) = (out.get_mut(core), slots[core].get(stage)) else {
            return Err(StateError::BadSnapshot { at: c.at });
        };
        let st = &mut r.stages[i].2;
        let k0 = st.data.len();
        st.data.extend_from_slice(key);
        let v0 = st.data.len();
        st.data.extend_from_slice(value);
        st.entries.push((part, k0..v0, v0..st.data.len()));
    }
    Ok(())
}

/// The types of a stage's state, as recorded in a snapshot: a key and a
/// value type.
pub fn types_of<K: ?Sized, V: ?Sized>() -> String {
    format!(
        "{} -> {}",
        core::any::type_name::<K>(),
        core::any::type_name::<V>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_cores() -> (Vec<u8>, Vec<u8>) {
        let mut a = Snapshot::new(3);
        let mut b = Snapshot::new(3);
        let sa = a.stage("s", "u64 -> u64");
        let sb = b.stage("s", "u64 -> u64");
        for k in 0..1000u64 {
            let snap = if k % 2 == 0 { &mut a } else { &mut b };
            let s = if k % 2 == 0 { sa } else { sb };
            snap.put_keyed(s, 0, &k, &(k * 10)).unwrap();
        }
        a.position(
            0,
            Position {
                partition: 0,
                offset: 5,
            },
        );
        b.position(
            0,
            Position {
                partition: 1,
                offset: 9,
            },
        );
        (a.finish(), b.finish())
    }

    #[test]
    fn every_entry_reaches_exactly_one_core_whatever_the_count() {
        let (a, b) = two_cores();
        for cores in [1, 2, 3, 4] {
            let mut seen = Vec::new();
            for core in 0..cores {
                let r = Restored::from_files([a.as_slice(), b.as_slice()], core, cores).unwrap();
                assert_eq!(r.epoch(), 3);
                assert_eq!(r.positions(0).len(), 2, "positions go to every core");
                if let Some(st) = r.stage("s", "u64 -> u64").unwrap() {
                    for e in st.decode::<u64, u64>(0) {
                        let (k, v) = e.unwrap();
                        assert_eq!(v, k * 10);
                        assert_eq!(KeyGroups::DEFAULT.core_of_key(&k, cores), core);
                        seen.push(k);
                    }
                }
            }
            seen.sort_unstable();
            assert_eq!(seen, (0..1000).collect::<Vec<_>>(), "{cores} cores");
        }
    }

    #[test]
    fn a_damaged_or_short_file_is_refused() {
        let (a, _) = two_cores();
        for cut in [0, 3, a.len() / 2, a.len() - 1] {
            assert!(
                Restored::from_files([&a[..cut]], 0, 1).is_err(),
                "cut at {cut}"
            );
        }
        let mut flipped = a.clone();
        flipped[20] ^= 1;
        assert!(Restored::from_files([flipped.as_slice()], 0, 1).is_err());
    }

    #[test]
    fn changed_types_are_a_typed_error() {
        let (a, _) = two_cores();
        let r = Restored::from_files([a.as_slice()], 0, 1).unwrap();
        assert!(matches!(
            r.stage("s", "u64 -> String"),
            Err(StateError::TypeChanged { .. })
        ));
        assert!(r.stage("other", "u64 -> u64").unwrap().is_none());
    }
}
