//! The memory-mapped store: one file per core and stage, an append-only log
//! of checksummed records read through a memory map, with an in-memory index
//! rebuilt when the file is opened.
//!
//! # File format
//!
//! ```text
//! [magic: b"LAMST\0\0\x02"]                                   name, version 2
//! [meta_len: u32 LE][meta_crc: u32 LE]                          header
//! [len: u32 LE][stage][len: u32 LE][key type][len: u32 LE][value type]
//! [key_len: u32 LE][val_len: u32 LE][crc32: u32 LE][key][value]   record
//! [key_len: u32 LE][u32::MAX       ][crc32: u32 LE][key]          tombstone
//! ...
//! zeroes up to the preallocated length
//! ```
//!
//! The header's [`Fingerprint`] says what the file holds: the stage's name
//! and the names of its key and value types (`std::any::type_name`), UTF-8,
//! checksummed by `meta_crc`. It is written when the file is created;
//! [`MmapStore::open_as`] checks it, so a stage whose types changed since
//! the file was written gets [`StateError::TypeChanged`] instead of values
//! decoded as the wrong type. (A type name is not a schema: a struct that
//! keeps its name and changes its fields is not caught. And `type_name` is
//! not promised to be the same across compiler releases, so a toolchain
//! upgrade may report a change where there is none.)
//!
//! The CRC-32 of a record covers the 8 length bytes, the key and the value.
//! The file is preallocated and grows by doubling; the index
//! (`key → (value offset, value length)`) lives in memory only, so a read is
//! one hash lookup and a slice of the map, with no copy.
//!
//! # Recovery
//!
//! An empty file is a new store. A non-empty file must start with a valid
//! header of this version: anything else, all zeroes included, is
//! [`StateError::BadHeader`] (or [`StateError::UnsupportedVersion`] for a
//! state file of another version), and the file is left as it is.
//!
//! Opening then scans the records after the header up to the first one
//! that does not fit in the file or whose checksum does not match, and
//! decides what that stop is:
//!
//! - **the end of the log**: nothing but zeroes from there on (the
//!   preallocated tail);
//! - **a torn last write**: no valid record anywhere after the stop, only
//!   the remains of one unfinished record (a prefix of it, or pages of it,
//!   then zeroes). The remains are cut off and the file is zero-filled from
//!   there again, so later appends never follow garbage; nothing that was
//!   ever complete is lost;
//! - **corruption**: a valid record somewhere after the stop. The damaged
//!   record is in the middle of the log, and cutting there would silently
//!   drop every record after it, so opening fails with
//!   [`StateError::Corrupt`], naming the file and the offset of the damaged
//!   record, and leaves the file as it is.
//!
//! Damage to the very last record cannot be told from a torn write and is
//! cut like one. With [`SyncPolicy::Never`] or [`SyncPolicy::OnFlush`], a
//! power loss can leave pages of unflushed records on disk out of order (a
//! lost page, then intact records); that is reported as corruption too,
//! since it cannot be told from damage either.
//!
//! # Disk space
//!
//! Disk blocks are reserved (`fallocate`) for the whole preallocated length
//! before the map covers it, when a file is opened and each time it grows,
//! so writes through the map never meet a full disk: a disk, quota or file
//! size limit without room is [`StateError::NoSpace`] from `open` or from
//! the put that needed the room, never `SIGBUS`. Where the file system
//! cannot reserve blocks (`EOPNOTSUPP`), one byte per 4 KiB block is
//! written instead, which allocates them on ordinary file systems; on a
//! copy-on-write file system without `fallocate` an allocated block can still
//! need new space when it is overwritten (ZFS, which has no `fallocate`),
//! so there a full disk can still end in `SIGBUS`.
//!
//! # Compaction
//!
//! Overwrites and deletes leave dead records behind. Once dead bytes exceed
//! live bytes and the log is over [`COMPACT_MIN_BYTES`], a put or delete
//! rewrites the live records into `<path>.compact`, syncs it and renames it
//! over the file ([`MmapStore::compact`] does it on demand). The rename is
//! atomic: after a crash the file is either the old log or the new one.

use std::borrow::Borrow;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use memmap2::MmapMut;
use rustc_hash::FxHashMap;

use super::{ByteStore, StateError};

/// The first 8 bytes of every state file: name and format version.
pub const MAGIC: [u8; 8] = *b"LAMST\0\0\x02";

/// Once dead records outweigh live ones, a put or delete compacts the file,
/// but only if its log is longer than this (1 MiB): small files are not
/// worth the rewrite.
pub const COMPACT_MIN_BYTES: u64 = 1 << 20;

/// `meta_len`, `meta_crc`, after the magic.
const META_HEADER: usize = 8;
/// The longest fingerprint a header may hold: type names are long, but not
/// this long, and a garbage length must not make `open` read far.
const MAX_META: usize = 1 << 16;
/// `key_len`, `val_len`, `crc32`.
const RECORD_HEADER: usize = 12;
/// `val_len` of a tombstone.
const TOMBSTONE: u32 = u32::MAX;
/// The smallest preallocation, and the block size reservation assumes.
const MIN_LEN: u64 = 4096;

/// When written records are forced to disk (`msync`).
///
/// Whatever the policy, a record is in the OS page cache as soon as `put`
/// returns, so it survives the process crashing; the policy decides what
/// survives the machine losing power.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SyncPolicy {
    /// Never: the OS writes pages back when it likes.
    Never,
    /// On [`ByteStore::flush`] (and on drop): what was written since the last
    /// flush is synced. The default.
    #[default]
    OnFlush,
    /// After every put and delete, the record's pages are synced before the
    /// call returns. Durable, and slow.
    EveryWrite,
}

/// How to open an [`MmapStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmapOptions {
    /// When writes are synced.
    pub sync: SyncPolicy,
    /// Bytes preallocated for a new file, and the least an existing one is
    /// extended to (at least 4 KiB; default 1 MiB). The preallocation is
    /// reserved on disk (see [Disk space](self#disk-space)), so every
    /// store takes at least this much disk.
    pub initial_len: u64,
}

impl Default for MmapOptions {
    fn default() -> Self {
        MmapOptions {
            sync: SyncPolicy::OnFlush,
            initial_len: 1 << 20,
        }
    }
}

/// What a state file holds, as its header records it: the stage whose
/// state it is and the names of the key and value types. Written when the
/// file is created; [`MmapStore::open_as`] checks it on every open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fingerprint {
    /// The stage's name.
    pub stage: String,
    /// The key type's name.
    pub key: String,
    /// The value type's name.
    pub value: String,
}

impl Fingerprint {
    /// Stage `stage` with keys `K` and values `V`, named by
    /// [`std::any::type_name`].
    pub fn of<K: ?Sized, V: ?Sized>(stage: &str) -> Self {
        Fingerprint {
            stage: stage.to_owned(),
            key: std::any::type_name::<K>().to_owned(),
            value: std::any::type_name::<V>().to_owned(),
        }
    }

    /// The types, in words, for error messages.
    fn types(&self) -> String {
        format!("key type `{}` and value type `{}`", self.key, self.value)
    }

    /// The whole file header: magic, lengths and checksum, fingerprint.
    fn header(&self) -> Vec<u8> {
        let mut meta = Vec::new();
        for part in [&self.stage, &self.key, &self.value] {
            // Names longer than 4 GiB do not exist; `open_as` refuses
            // fingerprints over `MAX_META` before this runs.
            meta.extend_from_slice(&(part.len() as u32).to_le_bytes());
            meta.extend_from_slice(part.as_bytes());
        }
        let mut out = Vec::with_capacity(MAGIC.len() + META_HEADER + meta.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&meta).to_le_bytes());
        out.extend_from_slice(&meta);
        out
    }

    /// Reads the fingerprint of a header's `meta` bytes.
    fn decode(meta: &[u8]) -> Option<Self> {
        let mut at = 0;
        let mut part = || {
            let len = read_u32_at(meta, at)? as usize;
            let bytes = meta.get(at + 4..(at + 4).checked_add(len)?)?;
            at += 4 + len;
            String::from_utf8(bytes.to_vec()).ok()
        };
        let fp = Fingerprint {
            stage: part()?,
            key: part()?,
            value: part()?,
        };
        (at == meta.len()).then_some(fp)
    }
}

/// Reads a file's header: its fingerprint and where its records start.
fn parse_header(bytes: &[u8], path: &Path) -> Result<(Fingerprint, usize), StateError> {
    let bad = || StateError::BadHeader {
        path: path.to_path_buf(),
    };
    let magic = bytes.get(..MAGIC.len()).ok_or_else(bad)?;
    if magic[..7] == MAGIC[..7] && magic[7] != MAGIC[7] {
        return Err(StateError::UnsupportedVersion {
            path: path.to_path_buf(),
            version: magic[7],
            supported: MAGIC[7],
        });
    }
    if magic != MAGIC {
        return Err(bad());
    }
    let meta_len = read_u32_at(bytes, MAGIC.len()).ok_or_else(bad)? as usize;
    let meta_crc = read_u32_at(bytes, MAGIC.len() + 4).ok_or_else(bad)?;
    let start = MAGIC.len() + META_HEADER;
    if meta_len > MAX_META {
        return Err(bad());
    }
    let meta = bytes.get(start..start + meta_len).ok_or_else(bad)?;
    if crc32fast::hash(meta) != meta_crc {
        return Err(bad());
    }
    let fp = Fingerprint::decode(meta).ok_or_else(bad)?;
    Ok((fp, start + meta_len))
}

/// Checks that the file holds what `want` says.
fn check_fingerprint(
    on_disk: &Fingerprint,
    want: &Fingerprint,
    path: &Path,
) -> Result<(), StateError> {
    if on_disk.stage != want.stage {
        return Err(StateError::OtherStage {
            path: path.to_path_buf(),
            on_disk: on_disk.stage.clone(),
            now: want.stage.clone(),
        });
    }
    if on_disk.key != want.key || on_disk.value != want.value {
        return Err(StateError::TypeChanged {
            path: path.to_path_buf(),
            stage: want.stage.clone(),
            on_disk: on_disk.types(),
            now: want.types(),
        });
    }
    Ok(())
}

/// A persistent [`ByteStore`]: an append-only log of checksummed records in
/// a memory-mapped file, indexed in memory. See the [module docs](self) for
/// the format, recovery, disk space and compaction.
///
/// Reads borrow from the map; writes append a record (growing the file by
/// doubling and remapping when full); deletes append a tombstone.
///
/// **One store per file.** The file must not be opened, written or truncated
/// by anything else while the store has it open: the map assumes it owns the
/// file. `open` takes an exclusive advisory lock (`flock`) on it, so a second
/// `MmapStore` on the same path, in this or another process, fails with
/// [`io::ErrorKind::WouldBlock`] (after trying for 250 ms: a lock just
/// released can linger while another thread forks); a process that ignores advisory locks and
/// truncates the file makes this process die of `SIGBUS` on its next access
/// to the lost pages, and one that writes to it can change values this store
/// has already handed out.
///
/// Disk blocks are reserved before the map covers them, so a full disk is
/// [`StateError::NoSpace`] from the put that needed the room (which then
/// wrote nothing), not `SIGBUS`; see [Disk space](self#disk-space) for the
/// file systems where that cannot be promised.
///
/// ```
/// use laminar_runtime::state::{ByteStore, MmapOptions, MmapStore};
///
/// let path = std::env::temp_dir().join(format!("laminar-doc-{}.state", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let mut s = MmapStore::open(&path, MmapOptions::default())?;
/// s.put(b"k", b"v1")?;
/// s.put(b"k", b"v2")?;
/// drop(s);
/// let s = MmapStore::open(&path, MmapOptions::default())?;
/// assert_eq!(s.get(b"k"), Some(&b"v2"[..]));
/// # drop(s);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), laminar_runtime::state::StateError>(())
/// ```
pub struct MmapStore {
    path: PathBuf,
    options: MmapOptions,
    /// Boxed: read at open and compaction only, and it would make every
    /// `KeyedStore` that holds a store larger.
    fingerprint: Box<Fingerprint>,
    file: File,
    map: MmapMut,
    /// Where the records start: the header's length.
    start: usize,
    /// The end of valid records: where the next one goes.
    end: usize,
    index: FxHashMap<IndexKey, (u64, u32)>,
    /// Bytes of the records the index points to.
    live: u64,
    /// Bytes of overwritten records and tombstones.
    dead: u64,
    /// Range written since the last flush (`OnFlush` only).
    dirty: Option<(usize, usize)>,
}

impl fmt::Debug for MmapStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MmapStore")
            .field("path", &self.path)
            .field("options", &self.options)
            .field("fingerprint", &self.fingerprint)
            .field("keys", &self.index.len())
            .field("end", &self.end)
            .field("capacity", &self.map.len())
            .field("live", &self.live)
            .field("dead", &self.dead)
            .finish()
    }
}

/// Keys up to this long are kept inside the index.
const INLINE: usize = 22;

/// A key in the index: up to [`INLINE`] bytes inline (what postcard writes
/// for integers, tuples of a few, short strings), so a lookup compares it
/// without chasing a pointer and a new key allocates nothing; longer keys
/// are boxed. Hashes and compares as the `[u8]` it holds.
#[derive(Clone)]
enum IndexKey {
    Inline(u8, [u8; INLINE]),
    Boxed(Box<[u8]>),
}

impl IndexKey {
    fn new(key: &[u8]) -> Self {
        if key.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..key.len()].copy_from_slice(key);
            IndexKey::Inline(key.len() as u8, bytes)
        } else {
            IndexKey::Boxed(key.into())
        }
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        match self {
            IndexKey::Inline(len, bytes) => &bytes[..*len as usize],
            IndexKey::Boxed(bytes) => bytes,
        }
    }
}

impl Borrow<[u8]> for IndexKey {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Hash for IndexKey {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialEq for IndexKey {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for IndexKey {}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Maps all of `file`, read-write and shared.
// The store's one unsafe call; the crate denies `unsafe_code` everywhere else.
#[allow(unsafe_code)]
fn map_file(file: &File, path: &Path) -> Result<MmapMut, StateError> {
    // SAFETY: `MmapMut::map_mut` is unsafe because the mapped bytes can
    // change, or disappear, if the file is modified or truncated by someone
    // else while mapped. Here the file was opened read-write by the
    // `MmapStore` that owns this map, which holds an exclusive advisory lock
    // on it and is its only user (a documented restriction of the type).
    // The store itself never shrinks the file while a map of it is alive: it
    // drops the map first. It writes through the map, into other files, or
    // into this one where no map covers it (the header of a new file before
    // it is mapped; zero bytes past the end of the map, reserving blocks). If another process ignores the lock and
    // truncates the file anyway, touching the lost pages raises SIGBUS and the process
    // dies; no access ever reads past the map, whose length is fixed here.
    unsafe { MmapMut::map_mut(file) }.map_err(io_err(path))
}

/// Takes an exclusive advisory lock on `file`, or fails if someone holds it.
fn lock(file: &File, path: &Path) -> Result<(), StateError> {
    match try_lock_patiently(file) {
        Ok(()) => Ok(()),
        // File systems without locks: the restriction is still documented.
        Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => Ok(()),
        Err(e) => Err(io_err(path)(e.into())),
    }
}

/// `file.try_lock()`, tried again for up to 250 ms while it would block.
///
/// A `flock` belongs to the open file, and a process that forks (any
/// thread spawning a child) shares the open file with the child until the
/// child's `exec` closes it: for that moment, a lock released by closing
/// the file here is still held. A runtime built right after another one on
/// the same files finished would fail for that reason alone; waiting a
/// little tells it from a holder that is really alive.
pub(crate) fn try_lock_patiently(file: &File) -> Result<(), fs::TryLockError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(250);
    loop {
        match file.try_lock() {
            Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            r => return r,
        }
    }
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// `read_u32`, or `None` past the end.
fn read_u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn crc(lens: &[u8], key: &[u8], value: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(lens);
    h.update(key);
    h.update(value);
    h.finalize()
}

/// Bytes of a record with these lengths.
fn record_len(key_len: usize, value_len: usize) -> u64 {
    (RECORD_HEADER + key_len + value_len) as u64
}

/// Rounds up to a multiple of 4 KiB, at least `MIN_LEN`.
fn round_len(len: u64) -> u64 {
    len.max(MIN_LEN).div_ceil(MIN_LEN) * MIN_LEN
}

fn too_large(path: &Path) -> StateError {
    io_err(path)(io::Error::new(
        io::ErrorKind::InvalidInput,
        "state key or value too large for a record (4 GiB)",
    ))
}

/// An error of growing `path` to `len` bytes: [`StateError::NoSpace`] when
/// the disk, a quota or the file size limit has no room, else I/O.
fn space_err(path: &Path, len: u64) -> impl FnOnce(io::Error) -> StateError + '_ {
    move |source| match source.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge => {
            StateError::NoSpace {
                path: path.to_path_buf(),
                len,
                source,
            }
        }
        _ => io_err(path)(source),
    }
}

/// Makes `file` at least `to` bytes long with disk blocks reserved for
/// `from..to`, so that writing there through a map cannot meet a full
/// disk (which would be `SIGBUS`): a disk without room fails here instead.
fn allocate(file: &File, from: u64, to: u64, path: &Path) -> Result<(), StateError> {
    if to <= from {
        return Ok(());
    }
    reserve_blocks(file, from, to - from).map_err(space_err(path, to))
}

/// `posix_fallocate(file, offset, len)`, with a fallback for file systems
/// that do not have it.
fn reserve_blocks(file: &File, offset: u64, len: u64) -> io::Result<()> {
    #[cfg(test)]
    if let Some(e) = disk_limit::refuse(offset + len) {
        return Err(e);
    }
    #[cfg(unix)]
    {
        use rustix::io::Errno;
        match rustix::fs::fallocate(file, rustix::fs::FallocateFlags::empty(), offset, len) {
            Ok(()) => return Ok(()),
            // No `fallocate` on this file system (`EINVAL` is how some
            // `posix_fallocate`s say so): write zeroes instead.
            Err(e) if e == Errno::OPNOTSUPP || e == Errno::NOSYS || e == Errno::INVAL => {}
            Err(e) => return Err(e.into()),
        }
    }
    write_zeroes(file, offset, len)
}

/// Writes a zero byte in every 4 KiB block of `offset..offset + len` (and
/// its last byte), which makes ordinary file systems allocate them, as
/// glibc's `posix_fallocate` does where the file system cannot. Only ever
/// called on a range that holds zeroes (or nothing) already.
fn write_zeroes(file: &File, offset: u64, len: u64) -> io::Result<()> {
    let end = offset + len;
    let mut f = file;
    let mut at = offset;
    while at < end {
        f.seek(SeekFrom::Start(at))?;
        f.write_all(&[0])?;
        at = (at / MIN_LEN + 1) * MIN_LEN;
    }
    f.seek(SeekFrom::Start(end - 1))?;
    f.write_all(&[0])
}

/// A test-only limit on how long a file may grow, standing in for a full
/// disk: reserving past it fails with `ENOSPC` as a full disk would.
#[cfg(test)]
pub(crate) mod disk_limit {
    use std::cell::Cell;

    thread_local! {
        static LIMIT: Cell<Option<u64>> = const { Cell::new(None) };
    }

    /// Files grown on this thread may be at most `limit` bytes long.
    pub(crate) fn set(limit: Option<u64>) {
        LIMIT.set(limit);
    }

    pub(super) fn refuse(end: u64) -> Option<std::io::Error> {
        LIMIT
            .get()
            .filter(|&l| end > l)
            .map(|_| std::io::Error::from(std::io::ErrorKind::StorageFull))
    }
}

/// A valid record at `at`: its lengths fit in `bytes` and its checksum
/// matches. Returns `(key_len, val_len as written, end)`.
#[inline]
fn record_at(bytes: &[u8], at: usize) -> Option<(usize, u32, usize)> {
    let body = at
        .checked_add(RECORD_HEADER)
        .filter(|&b| b <= bytes.len())?;
    let key_len = read_u32(bytes, at) as usize;
    let val_len = read_u32(bytes, at + 4);
    let value_len = if val_len == TOMBSTONE {
        0
    } else {
        val_len as usize
    };
    let rec_end = body
        .checked_add(key_len)?
        .checked_add(value_len)
        .filter(|&e| e <= bytes.len())?;
    let key = &bytes[body..body + key_len];
    let value = &bytes[body + key_len..rec_end];
    (crc(&bytes[at..at + 8], key, value) == read_u32(bytes, at + 8))
        .then_some((key_len, val_len, rec_end))
}

/// The end of the last non-zero byte of `bytes`, or 0.
fn nonzero_end(bytes: &[u8]) -> usize {
    // Whole 4 KiB blocks first, OR-ed together (which vectorizes): the
    // zero tail is usually most of the file.
    let mut end = bytes.len();
    for block in bytes.rchunks(MIN_LEN as usize) {
        if block.iter().fold(0u8, |a, &b| a | b) != 0 {
            return end - block.iter().rev().take_while(|&&b| b == 0).count();
        }
        end -= block.len();
    }
    0
}

/// Whether a valid record starts anywhere after `at`, up to the last
/// non-zero byte: what tells damage in the middle of the log from a torn
/// last write, which leaves only the remains of one record.
///
/// Each offset is tried, as the lengths of a record after a damaged one
/// cannot be trusted to say where the next starts. This runs only when a
/// scan stopped on something other than zeroes, and stops at the first
/// valid record, normally the one right after the damage.
fn valid_record_after(bytes: &[u8], at: usize) -> bool {
    let end = at + nonzero_end(&bytes[at..]);
    (at + 1..end).any(|o| record_at(bytes, o).is_some())
}

/// Rebuilds the index from the records from `start`. Returns the end of
/// the last valid record and the live bytes, or, if a damaged record has
/// valid ones after it, the damaged record's offset.
fn scan_log(
    bytes: &[u8],
    start: usize,
    index: &mut FxHashMap<IndexKey, (u64, u32)>,
) -> Result<(usize, u64), usize> {
    let mut at = start;
    let mut live = 0u64;
    while let Some((key_len, val_len, rec_end)) = record_at(bytes, at) {
        let body = at + RECORD_HEADER;
        let key = &bytes[body..body + key_len];
        let old = if val_len == TOMBSTONE {
            index.remove(key)
        } else {
            let entry = ((body + key_len) as u64, val_len);
            live += record_len(key_len, val_len as usize);
            match index.get_mut(key) {
                Some(e) => Some(std::mem::replace(e, entry)),
                None => index.insert(IndexKey::new(key), entry),
            }
        };
        if let Some((_, old_len)) = old {
            live -= record_len(key_len, old_len as usize);
        }
        at = rec_end;
    }
    if valid_record_after(bytes, at) {
        return Err(at);
    }
    Ok((at, live))
}

impl MmapStore {
    /// Opens the state file at `path`, creating it if missing, and rebuilds
    /// the index from its records; a torn last write is cut off (see
    /// [Recovery](self#recovery)). Whatever the file's header says it holds
    /// is accepted, and a new file records an empty [`Fingerprint`]: use
    /// [`open_as`](Self::open_as) to check it.
    ///
    /// Fails, leaving the file as it was, with [`StateError::BadHeader`] if
    /// a non-empty file is not a state file (all zeroes included),
    /// [`StateError::UnsupportedVersion`] if it is one of another format
    /// version, and [`StateError::Corrupt`] if a record in the middle of
    /// the log is damaged; with [`StateError::NoSpace`] if the disk has no
    /// room for the preallocation; and with an I/O error if another store
    /// has it open.
    pub fn open(path: impl AsRef<Path>, options: MmapOptions) -> Result<Self, StateError> {
        Self::open_inner(path.as_ref(), options, None)
    }

    /// Like [`open`](Self::open), and checks that the file holds what
    /// `fingerprint` says: [`StateError::OtherStage`] if it names another
    /// stage, [`StateError::TypeChanged`] if it names other key or value
    /// types. A new file records `fingerprint`.
    pub fn open_as(
        path: impl AsRef<Path>,
        options: MmapOptions,
        fingerprint: &Fingerprint,
    ) -> Result<Self, StateError> {
        Self::open_inner(path.as_ref(), options, Some(fingerprint))
    }

    fn open_inner(
        path: &Path,
        options: MmapOptions,
        expect: Option<&Fingerprint>,
    ) -> Result<Self, StateError> {
        let path = path.to_path_buf();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err(&path))?;
        lock(&file, &path)?;
        // A compaction that crashed before its rename left this behind;
        // the file itself is intact.
        let _ = fs::remove_file(compact_path(&path));

        let file_len = file.metadata().map_err(io_err(&path))?.len();
        let mut index = FxHashMap::default();
        let (fingerprint, start, end, live) = if file_len == 0 {
            // New. The header goes down (and, if syncing, to disk) before
            // the file is extended, so that a crash cannot leave a long
            // file without one.
            let fingerprint = expect.cloned().unwrap_or_default();
            let meta = fingerprint.stage.len() + fingerprint.key.len() + fingerprint.value.len();
            if meta + 12 > MAX_META {
                return Err(io_err(&path)(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "stage and type names too long for a state file header (64 KiB)",
                )));
            }
            let header = fingerprint.header();
            let len = header.len() as u64;
            (&file).write_all(&header).map_err(space_err(&path, len))?;
            if options.sync != SyncPolicy::Never {
                file.sync_data().map_err(io_err(&path))?;
            }
            (fingerprint, header.len(), header.len(), 0)
        } else {
            // Read everything before changing anything: a file that is not
            // ours, of other types, or damaged is left as it was.
            let map = map_file(&file, &path)?;
            let (fingerprint, start) = parse_header(&map, &path)?;
            if let Some(want) = expect {
                check_fingerprint(&fingerprint, want, &path)?;
            }
            let (end, live) =
                scan_log(&map, start, &mut index).map_err(|offset| StateError::Corrupt {
                    path: path.clone(),
                    offset: offset as u64,
                })?;
            (fingerprint, start, end, live)
        };

        // Cut at the end of the valid records (a torn write, if any, goes)
        // and reserve the blocks up to the capacity again, zeroed.
        let cap = round_len(file_len.max(options.initial_len).max(end as u64));
        file.set_len(end as u64).map_err(io_err(&path))?;
        allocate(&file, end as u64, cap, &path)?;
        if options.sync != SyncPolicy::Never {
            file.sync_all().map_err(io_err(&path))?;
        }
        let map = map_file(&file, &path)?;

        Ok(MmapStore {
            dead: (end - start) as u64 - live,
            path,
            options,
            fingerprint: Box::new(fingerprint),
            file,
            map,
            start,
            end,
            index,
            live,
            dirty: None,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options it was opened with.
    pub fn options(&self) -> MmapOptions {
        self.options
    }

    /// What the file's header says it holds.
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// Bytes of the file's header: the first record starts here.
    pub fn header_len(&self) -> u64 {
        self.start as u64
    }

    /// Bytes of valid data in the file: the header and every record, live
    /// or dead. The next record is written here.
    pub fn data_len(&self) -> u64 {
        self.end as u64
    }

    /// Bytes of the records that hold the current values.
    pub fn live_bytes(&self) -> u64 {
        self.live
    }

    /// Bytes of overwritten records and tombstones, which
    /// [`compact`](Self::compact) reclaims.
    pub fn dead_bytes(&self) -> u64 {
        self.dead
    }

    /// Length of the file, preallocated tail included.
    pub fn capacity(&self) -> u64 {
        self.map.len() as u64
    }

    /// Rewrites the live records into a new file, synced, and renames it
    /// over this one: reclaims the dead bytes. Puts and deletes call it when
    /// dead bytes exceed live bytes and the log is over
    /// [`COMPACT_MIN_BYTES`].
    ///
    /// An automatic compaction that fails (a full disk, say) makes the put
    /// or delete that triggered it return the error, although its record
    /// was written: the store stays as it was before the compaction.
    pub fn compact(&mut self) -> Result<(), StateError> {
        self.rewrite(true)
    }

    /// Writes a new file holding the live records (or none, if not `keep`),
    /// synced, and renames it over this one. On error the store is as it
    /// was.
    fn rewrite(&mut self, keep: bool) -> Result<(), StateError> {
        let tmp = compact_path(&self.path);
        let header = self.fingerprint.header();
        let size = header.len() as u64 + if keep { self.live } else { 0 };
        let cap = round_len(self.options.initial_len.max(size.saturating_mul(2)));

        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        lock(&file, &tmp)?;
        let written = (|| {
            let mut w = BufWriter::with_capacity(1 << 16, &file);
            w.write_all(&header)?;
            // Live records are copied as they are, checksum included.
            for (key, &(value_at, value_len)) in self.index.iter().filter(|_| keep) {
                let start = value_at as usize - key.as_bytes().len() - RECORD_HEADER;
                w.write_all(&self.map[start..value_at as usize + value_len as usize])?;
            }
            w.flush()?;
            drop(w);
            reserve_blocks(&file, size, cap - size)?;
            file.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(space_err(&tmp, cap)(e));
        }
        if let Err(e) = fs::rename(&tmp, &self.path) {
            let _ = fs::remove_file(&tmp);
            return Err(io_err(&self.path)(e));
        }
        // Make the rename itself durable (best effort: not every platform
        // can open a directory).
        if let Some(dir) = self.path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }

        let map = map_file(&file, &self.path)?;
        if !keep {
            self.index.clear();
            self.live = 0;
        }
        // The same iteration order as the copy above: the index has not
        // changed in between.
        let mut at = header.len() as u64;
        for (key, entry) in self.index.iter_mut() {
            entry.0 = at + RECORD_HEADER as u64 + key.as_bytes().len() as u64;
            at = entry.0 + u64::from(entry.1);
        }
        debug_assert_eq!(at, size);
        self.map = map;
        self.file = file;
        self.start = header.len();
        self.end = size as usize;
        self.dead = 0;
        self.dirty = None;
        Ok(())
    }

    /// Makes room for `len` more bytes after `end`: doubles the file (or
    /// more), reserving its blocks, and remaps it. On a full disk the store
    /// is as it was.
    fn reserve(&mut self, len: usize) -> Result<(), StateError> {
        let need = self
            .end
            .checked_add(len)
            .ok_or_else(|| too_large(&self.path))?;
        if need <= self.map.len() {
            return Ok(());
        }
        // What is not yet synced stays in the page cache, and an `OnFlush`
        // flush after the remap still covers it through `dirty`.
        let cap = round_len((self.map.len() as u64 * 2).max(need as u64));
        allocate(&self.file, self.map.len() as u64, cap, &self.path)?;
        self.map = map_file(&self.file, &self.path)?;
        Ok(())
    }

    /// Appends one record (a tombstone if `value` is `None`); returns the
    /// offset of its value.
    fn append(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<usize, StateError> {
        let key_len = u32::try_from(key.len()).map_err(|_| too_large(&self.path))?;
        let (val_len, value) = match value {
            Some(v) => match u32::try_from(v.len()) {
                Ok(l) if l != TOMBSTONE => (l, v),
                _ => return Err(too_large(&self.path)),
            },
            None => (TOMBSTONE, &[][..]),
        };
        let len = RECORD_HEADER + key.len() + value.len();
        self.reserve(len)?;

        let start = self.end;
        let mut lens = [0u8; 8];
        lens[..4].copy_from_slice(&key_len.to_le_bytes());
        lens[4..].copy_from_slice(&val_len.to_le_bytes());
        let sum = crc(&lens, key, value);
        let rec = &mut self.map[start..start + len];
        rec[..8].copy_from_slice(&lens);
        rec[8..12].copy_from_slice(&sum.to_le_bytes());
        rec[12..12 + key.len()].copy_from_slice(key);
        rec[12 + key.len()..].copy_from_slice(value);
        self.end = start + len;

        match self.options.sync {
            SyncPolicy::Never => {}
            SyncPolicy::OnFlush => {
                self.dirty = Some(match self.dirty {
                    Some((lo, _)) => (lo, self.end),
                    None => (start, self.end),
                });
            }
            SyncPolicy::EveryWrite => {
                self.map
                    .flush_range(start, len)
                    .map_err(io_err(&self.path))?;
            }
        }
        Ok(start + RECORD_HEADER + key.len())
    }

    fn maybe_compact(&mut self) -> Result<(), StateError> {
        if self.dead > self.live && self.end as u64 > COMPACT_MIN_BYTES {
            self.compact()?;
        }
        Ok(())
    }
}

fn compact_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".compact");
    PathBuf::from(p)
}

impl ByteStore for MmapStore {
    #[inline]
    fn get(&self, key: &[u8]) -> Option<&[u8]> {
        let &(at, len) = self.index.get(key)?;
        let at = at as usize;
        Some(&self.map[at..at + len as usize])
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), StateError> {
        let value_at = self.append(key, Some(value))? as u64;
        let entry = (value_at, value.len() as u32);
        self.live += record_len(key.len(), value.len());
        let old = match self.index.get_mut(key) {
            Some(e) => Some(std::mem::replace(e, entry)),
            None => self.index.insert(IndexKey::new(key), entry),
        };
        if let Some((_, old_len)) = old {
            let old = record_len(key.len(), old_len as usize);
            self.live -= old;
            self.dead += old;
        }
        self.maybe_compact()
    }

    fn delete(&mut self, key: &[u8]) -> Result<bool, StateError> {
        if !self.index.contains_key(key) {
            return Ok(false);
        }
        self.append(key, None)?;
        if let Some((_, old_len)) = self.index.remove(key) {
            let old = record_len(key.len(), old_len as usize);
            self.live -= old;
            self.dead += old + record_len(key.len(), 0);
        }
        self.maybe_compact()?;
        Ok(true)
    }

    #[inline]
    fn len(&self) -> usize {
        self.index.len()
    }

    fn scan(&self, f: &mut dyn FnMut(&[u8], &[u8])) {
        for (key, &(at, len)) in &self.index {
            let at = at as usize;
            f(key.as_bytes(), &self.map[at..at + len as usize]);
        }
    }

    /// Replaces the file with an empty one, atomically (a compaction with
    /// nothing live).
    fn clear(&mut self) -> Result<(), StateError> {
        self.rewrite(false)
    }

    /// Syncs what was written since the last flush, under
    /// [`SyncPolicy::OnFlush`]; nothing to do under the other policies.
    fn flush(&mut self) -> Result<(), StateError> {
        if let Some((lo, hi)) = self.dirty.take() {
            self.map
                .flush_range(lo, hi - lo)
                .map_err(io_err(&self.path))?;
        }
        Ok(())
    }
}

impl Drop for MmapStore {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Full disks, through [`disk_limit`]: a test cannot fill a real disk, and
/// one file system of a chosen size needs privileges (the facade's
/// `state_dir` tests do that where they can). The limit fails the
/// reservation the way `fallocate` fails on a full disk, with `ENOSPC`.
#[cfg(test)]
mod tests {
    use super::*;

    struct Temp(PathBuf);

    impl Temp {
        fn new(tag: &str) -> Self {
            use std::sync::atomic::{AtomicU64, Ordering};
            static N: AtomicU64 = AtomicU64::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!(
                "laminar-unit-{tag}-{}-{n}.state",
                std::process::id()
            ));
            let _ = fs::remove_file(&path);
            Temp(path)
        }
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            disk_limit::set(None);
            let _ = fs::remove_file(&self.0);
            let _ = fs::remove_file(compact_path(&self.0));
        }
    }

    const SMALL: MmapOptions = MmapOptions {
        sync: SyncPolicy::Never,
        initial_len: 4096,
    };

    #[test]
    fn a_full_disk_fails_the_put_that_needed_room_and_nothing_else() {
        let t = Temp::new("full");
        disk_limit::set(Some(8192));
        let mut s = MmapStore::open(&t.0, SMALL).unwrap();
        let value = [7u8; 500];
        let mut n = 0u32;
        let err = loop {
            match s.put(&n.to_le_bytes(), &value) {
                Ok(()) => n += 1,
                Err(e) => break e,
            }
            assert!(n < 100, "the limit never bit");
        };
        match &err {
            StateError::NoSpace { path, len, source } => {
                assert_eq!((path, *len), (&t.0, 16384));
                assert_eq!(source.kind(), io::ErrorKind::StorageFull);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string().contains("no room to grow state file"),
            "{err}"
        );
        // The store is as it was: the failed put wrote nothing, the earlier
        // ones are all there.
        assert_eq!((s.capacity(), s.len()), (8192, n as usize));
        for i in 0..n {
            assert_eq!(s.get(&i.to_le_bytes()), Some(&value[..]));
        }
        assert_eq!(s.get(&n.to_le_bytes()), None);
        // Room again: the same put goes through, and survives a reopen.
        disk_limit::set(None);
        s.put(&n.to_le_bytes(), &value).unwrap();
        drop(s);
        let s = MmapStore::open(&t.0, SMALL).unwrap();
        assert_eq!(s.len(), n as usize + 1);
    }

    #[test]
    fn a_full_disk_at_open_is_no_space() {
        let t = Temp::new("full-open");
        disk_limit::set(Some(64 * 1024));
        let options = MmapOptions {
            initial_len: 1 << 20,
            ..SMALL
        };
        match MmapStore::open(&t.0, options) {
            Err(StateError::NoSpace { len, .. }) => assert_eq!(len, 1 << 20),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_full_disk_during_compaction_leaves_the_store_as_it_was() {
        let t = Temp::new("full-compact");
        let mut s = MmapStore::open(&t.0, SMALL).unwrap();
        for round in 0..4u8 {
            for k in 0..8u8 {
                s.put(&[k], &[round; 100]).unwrap();
            }
        }
        let before = fs::read(&t.0).unwrap();
        disk_limit::set(Some(0));
        assert!(matches!(s.compact(), Err(StateError::NoSpace { .. })));
        assert!(!compact_path(&t.0).exists());
        assert_eq!(fs::read(&t.0).unwrap(), before);
        assert_eq!(s.len(), 8);
        assert!(s.dead_bytes() > 0);
        for k in 0..8u8 {
            assert_eq!(s.get(&[k]), Some(&[3u8; 100][..]));
        }
        disk_limit::set(None);
        s.compact().unwrap();
        assert_eq!(s.dead_bytes(), 0);
    }
}
