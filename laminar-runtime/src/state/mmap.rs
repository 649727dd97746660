//! The memory-mapped store: one file per core and stage, an append-only log
//! of checksummed records read through a memory map, with an in-memory index
//! rebuilt when the file is opened.
//!
//! # File format
//!
//! ```text
//! [magic: b"LAMST\0\0\x01"]
//! [key_len: u32 LE][val_len: u32 LE][crc32: u32 LE][key][value]   record
//! [key_len: u32 LE][u32::MAX       ][crc32: u32 LE][key]          tombstone
//! ...
//! zeroes up to the preallocated length
//! ```
//!
//! The CRC-32 covers the 8 length bytes, the key and the value. The file is
//! preallocated and grows by doubling; the index
//! (`key → (value offset, value length)`) lives in memory only, so a read is
//! one hash lookup and a slice of the map, with no copy.
//!
//! # Recovery
//!
//! Opening scans the records from the header and stops at the first one
//! that does not fit in the file or whose checksum does not match: a record
//! torn by a crash, or the zeroed, preallocated tail. Everything from there
//! on is dropped (the file is cut there and zero-filled again), so later
//! appends never follow garbage. This also means that **records after a
//! corrupt one are not trusted**: a flipped byte in the middle of the log
//! loses that record and every later one, rather than guessing where the
//! next record starts.
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
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use memmap2::MmapMut;
use rustc_hash::FxHashMap;

use super::{ByteStore, StateError};

/// The first 8 bytes of every state file: name and format version.
pub const MAGIC: [u8; 8] = *b"LAMST\0\0\x01";

/// Once dead records outweigh live ones, a put or delete compacts the file,
/// but only if its log is longer than this (1 MiB): small files are not
/// worth the rewrite.
pub const COMPACT_MIN_BYTES: u64 = 1 << 20;

const HEADER: usize = MAGIC.len();
/// `key_len`, `val_len`, `crc32`.
const RECORD_HEADER: usize = 12;
/// `val_len` of a tombstone.
const TOMBSTONE: u32 = u32::MAX;
/// The smallest preallocation.
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
    /// sparse on common file systems.
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

/// A persistent [`ByteStore`]: an append-only log of checksummed records in
/// a memory-mapped file, indexed in memory. See the [module docs](self) for
/// the format, recovery and compaction.
///
/// Reads borrow from the map; writes append a record (growing the file by
/// doubling and remapping when full); deletes append a tombstone.
///
/// **One store per file.** The file must not be opened, written or truncated
/// by anything else while the store has it open: the map assumes it owns the
/// file. `open` takes an exclusive advisory lock (`flock`) on it, so a second
/// `MmapStore` on the same path, in this or another process, fails with
/// [`io::ErrorKind::WouldBlock`]; a process that ignores advisory locks and
/// truncates the file makes this process die of `SIGBUS` on its next access
/// to the lost pages, and one that writes to it can change values this store
/// has already handed out.
///
/// The preallocated tail is sparse: blocks are allocated when a write first
/// touches a page of the map, so on a full disk that write cannot report
/// `ENOSPC` and the process gets `SIGBUS` instead (the usual hazard of
/// writing through a file map).
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
    file: File,
    map: MmapMut,
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
fn map_file(file: &File, path: &Path) -> Result<MmapMut, StateError> {
    // SAFETY: `MmapMut::map_mut` is unsafe because the mapped bytes can
    // change, or disappear, if the file is modified or truncated by someone
    // else while mapped. Here the file was opened read-write by the
    // `MmapStore` that owns this map, which holds an exclusive advisory lock
    // on it and is its only user (a documented restriction of the type).
    // The store itself never shrinks the file while a map of it is alive: it
    // drops the map first, and it only ever writes through the map or into
    // other files. If another process ignores the lock and truncates the
    // file anyway, touching the lost pages raises SIGBUS and the process
    // dies; no access ever reads past the map, whose length is fixed here.
    unsafe { MmapMut::map_mut(file) }.map_err(io_err(path))
}

/// Takes an exclusive advisory lock on `file`, or fails if someone holds it.
fn lock(file: &File, path: &Path) -> Result<(), StateError> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        // File systems without locks: the restriction is still documented.
        Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => Ok(()),
        Err(e) => Err(io_err(path)(e.into())),
    }
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
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

/// Rebuilds the index from the records after the header. Returns the end
/// of the last valid record and the live bytes.
fn scan_log(bytes: &[u8], index: &mut FxHashMap<IndexKey, (u64, u32)>) -> (usize, u64) {
    let mut at = HEADER;
    let mut live = 0u64;
    while let Some(body) = at.checked_add(RECORD_HEADER).filter(|&b| b <= bytes.len()) {
        let key_len = read_u32(bytes, at) as usize;
        let val_len = read_u32(bytes, at + 4);
        let value_len = if val_len == TOMBSTONE {
            0
        } else {
            val_len as usize
        };
        let Some(rec_end) = body
            .checked_add(key_len)
            .and_then(|v| v.checked_add(value_len))
            .filter(|&e| e <= bytes.len())
        else {
            break;
        };
        let key = &bytes[body..body + key_len];
        let value = &bytes[body + key_len..rec_end];
        if crc(&bytes[at..at + 8], key, value) != read_u32(bytes, at + 8) {
            break;
        }
        let old = if val_len == TOMBSTONE {
            index.remove(key)
        } else {
            let entry = ((body + key_len) as u64, val_len);
            live += record_len(key_len, value_len);
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
    (at, live)
}

impl MmapStore {
    /// Opens the state file at `path`, creating it if missing, and rebuilds
    /// the index from its records; a torn or corrupt tail is cut off (see
    /// the [module docs](self)).
    ///
    /// Fails with [`StateError::BadHeader`] if the file is not a state file,
    /// and with an I/O error if another store has it open.
    pub fn open(path: impl AsRef<Path>, options: MmapOptions) -> Result<Self, StateError> {
        let path = path.as_ref().to_path_buf();
        let err = io_err(&path);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(err)?;
        lock(&file, &path)?;
        // A compaction that crashed before its rename left this behind;
        // the file itself is intact.
        let _ = fs::remove_file(compact_path(&path));

        // Check the header before changing anything: a file that is not
        // ours is left as it was.
        let file_len = file.metadata().map_err(io_err(&path))?.len();
        let mut header = [0u8; HEADER];
        let have = file_len.min(HEADER as u64) as usize;
        (&file)
            .read_exact(&mut header[..have])
            .map_err(io_err(&path))?;
        // Empty (or all zeroes: created, but the header never made it to
        // disk, so nothing after it can be valid either) means new.
        let new = header == [0; HEADER];
        if !new && header != MAGIC {
            return Err(StateError::BadHeader { path });
        }

        let cap = round_len(file_len.max(options.initial_len));
        if file_len < cap {
            file.set_len(cap).map_err(io_err(&path))?;
        }
        let mut map = map_file(&file, &path)?;
        let mut index = FxHashMap::default();
        let (end, live) = if new {
            map[..HEADER].copy_from_slice(&MAGIC);
            (HEADER, 0)
        } else {
            scan_log(&map, &mut index)
        };

        // Cut at the end of the valid records and zero-fill the rest
        // (truncate, then extend: cheap, and sparse again).
        drop(map);
        file.set_len(end as u64).map_err(io_err(&path))?;
        file.set_len(cap).map_err(io_err(&path))?;
        if options.sync != SyncPolicy::Never {
            file.sync_all().map_err(io_err(&path))?;
        }
        let map = map_file(&file, &path)?;

        Ok(MmapStore {
            dead: (end - HEADER) as u64 - live,
            path,
            options,
            file,
            map,
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
        let size = HEADER as u64 + if keep { self.live } else { 0 };
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
            w.write_all(&MAGIC)?;
            // Live records are copied as they are, checksum included.
            for (key, &(value_at, value_len)) in self.index.iter().filter(|_| keep) {
                let start = value_at as usize - key.as_bytes().len() - RECORD_HEADER;
                w.write_all(&self.map[start..value_at as usize + value_len as usize])?;
            }
            w.flush()?;
            drop(w);
            file.set_len(cap)?;
            file.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io_err(&tmp)(e));
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
        let mut at = HEADER as u64;
        for (key, entry) in self.index.iter_mut() {
            entry.0 = at + RECORD_HEADER as u64 + key.as_bytes().len() as u64;
            at = entry.0 + u64::from(entry.1);
        }
        debug_assert_eq!(at, size);
        self.map = map;
        self.file = file;
        self.end = size as usize;
        self.dead = 0;
        self.dirty = None;
        Ok(())
    }

    /// Makes room for `len` more bytes after `end`: doubles the file (or
    /// more) and remaps it.
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
        self.file.set_len(cap).map_err(io_err(&self.path))?;
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
