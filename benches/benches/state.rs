//! Keyed state, get and put, nanoseconds per operation at 10k and 1M keys
//! (`u64` keys `0..n`, `u64` values), one group per size with every store
//! side by side:
//!
//! - `fxhashmap`: a raw `FxHashMap<u64, u64>`, the floor;
//! - `memstore_get_ref` / `memstore_get`: `MemStore<u64, u64>` through its
//!   borrowing hot path and through `StateStore::get` (a clone);
//! - `mmap`: `Typed<MmapStore, u64, u64>` (fixed-width integer keys and values, sync
//!   policy `OnFlush`, never flushed in the loop; puts include the
//!   automatic compactions they trigger); `mmap_bytes`: the same file read
//!   through `ByteStore::get` with the key's varint built on the stack, no
//!   `Typed` layer and no value decoding;
//! - `redb`: loaded in one write transaction; reads through one read
//!   transaction held across the measured loop (its fastest path), puts
//!   into one write transaction held across the loop and aborted after.
//!
//! Every lookup and update is a key drawn at random (xorshift,
//! multiply-shift to `0..n`), so each sample is one real, uncached access.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use laminar_runtime::state::{ByteStore, MemStore, MmapOptions, MmapStore, StateStore, Typed};
use redb::{Database, ReadableDatabase, TableDefinition};
use rustc_hash::FxHashMap;

const TABLE: TableDefinition<u64, u64> = TableDefinition::new("state");

/// A xorshift64 stream of keys in `0..n`.
struct Keys {
    state: u64,
    n: u64,
}

impl Keys {
    fn new(n: u64) -> Self {
        Keys {
            state: 0x2545_F491_4F6C_DD1D,
            n,
        }
    }

    #[inline]
    fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        ((u128::from(x) * u128::from(self.n)) >> 64) as u64
    }
}

fn value_of(k: u64) -> u64 {
    k.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A file in the temp dir, removed (with its compaction leftover) on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("laminar-bench-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let mut c = self.0.clone().into_os_string();
        c.push(".compact");
        let _ = std::fs::remove_file(c);
    }
}

fn group<'a>(c: &'a mut Criterion, label: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(format!("state_{label}"));
    g.throughput(Throughput::Elements(1));
    g.sample_size(20);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(1));
    g
}

fn bench_size(c: &mut Criterion, n: u64, label: &str) {
    // Load every store with the same pairs.
    let mut fx = FxHashMap::<u64, u64>::default();
    let mut mem = MemStore::<u64, u64>::new();
    let mmap_file = TempFile::new(&format!("{label}.state"));
    let mut mmap =
        Typed::<_, u64, u64>::new(MmapStore::open(&mmap_file.0, MmapOptions::default()).unwrap());
    let redb_file = TempFile::new(&format!("{label}.redb"));
    let db = Database::create(&redb_file.0).unwrap();
    {
        let tx = db.begin_write().unwrap();
        {
            let mut t = tx.open_table(TABLE).unwrap();
            for k in 0..n {
                t.insert(k, value_of(k)).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    for k in 0..n {
        fx.insert(k, value_of(k));
        mem.put(k, value_of(k)).unwrap();
        mmap.put(k, value_of(k)).unwrap();
    }
    mmap.flush().unwrap();
    {
        let rtx = db.begin_read().unwrap();
        let t = rtx.open_table(TABLE).unwrap();
        for k in [0, n / 2, n - 1] {
            let v = Some(value_of(k));
            assert_eq!(fx.get(&k).copied(), v);
            assert_eq!(mem.get_ref(&k).copied(), v);
            assert_eq!(mem.get(&k).unwrap(), v);
            assert_eq!(mmap.get(&k).unwrap(), v);
            // Integers are stored fixed-width little-endian (state::Codec).
            let want = value_of(k).to_le_bytes();
            assert_eq!(mmap.inner().get(&k.to_le_bytes()), Some(&want[..]));
            assert_eq!(t.get(k).unwrap().map(|g| g.value()), v);
        }
    }

    let mut g = group(c, label);

    let mut keys = Keys::new(n);
    g.bench_function("get/fxhashmap", |b| {
        b.iter(|| fx.get(&black_box(keys.next())).copied())
    });
    g.bench_function("get/memstore_get_ref", |b| {
        b.iter(|| mem.get_ref(&black_box(keys.next())).copied())
    });
    g.bench_function("get/memstore_get", |b| {
        b.iter(|| mem.get(&black_box(keys.next())).unwrap())
    });
    g.bench_function("get/mmap", |b| {
        b.iter(|| mmap.get(&black_box(keys.next())).unwrap())
    });
    g.bench_function("get/mmap_bytes", |b| {
        b.iter(|| {
            let k = black_box(keys.next()).to_le_bytes();
            mmap.inner().get(&k).map(|v| v.first().copied())
        })
    });
    {
        let rtx = db.begin_read().unwrap();
        let t = rtx.open_table(TABLE).unwrap();
        g.bench_function("get/redb", |b| {
            b.iter(|| t.get(black_box(keys.next())).unwrap().map(|v| v.value()))
        });
    }

    let mut v = 0u64;
    g.bench_function("put/fxhashmap", |b| {
        b.iter(|| {
            v += 1;
            fx.insert(black_box(keys.next()), v)
        })
    });
    g.bench_function("put/memstore", |b| {
        b.iter(|| {
            v += 1;
            mem.put(black_box(keys.next()), v).unwrap()
        })
    });
    g.bench_function("put/mmap", |b| {
        b.iter(|| {
            v += 1;
            mmap.put(black_box(keys.next()), v).unwrap()
        })
    });
    {
        let tx = db.begin_write().unwrap();
        {
            let mut t = tx.open_table(TABLE).unwrap();
            g.bench_function("put/redb", |b| {
                b.iter(|| {
                    v += 1;
                    t.insert(black_box(keys.next()), v).unwrap().is_some()
                })
            });
        }
        tx.abort().unwrap();
    }
    g.finish();
    drop(mmap);
}

fn state(c: &mut Criterion) {
    bench_size(c, 10_000, "10k");
    bench_size(c, 1_000_000, "1M");
}

criterion_group!(benches, state);
criterion_main!(benches);
