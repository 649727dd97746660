//! Replayable sources: the JSON-lines and CSV file sources and the
//! generator read everything in order, report exact positions, and resume
//! from recorded positions on any number of cores with no gap and no
//! duplicate.
//!
//! The JSON-lines tests need the `json` feature (off by default):
//! `cargo test -p laminar-runtime --features json --test file_source`.

use std::collections::BTreeMap;
#[cfg(any(feature = "json", feature = "csv"))]
use std::path::{Path, PathBuf};
#[cfg(any(feature = "json", feature = "csv"))]
use std::sync::atomic::{AtomicUsize, Ordering};

use laminar_runtime::source::{self, Position, Read, Source, SourceError, Split};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Rec {
    p: u32,
    i: u64,
    name: String,
}

fn rec(p: u32, i: u64) -> Rec {
    // Commas, quotes and non-ASCII, so that CSV quoting is exercised.
    let name = match i % 4 {
        0 => format!("plain {i}"),
        1 => format!("comma, {i}"),
        2 => format!("quote \"{i}\""),
        _ => format!("ünï {i}"),
    };
    Rec { p, i, name }
}

/// A fresh directory for one test.
#[cfg(any(feature = "json", feature = "csv"))]
fn dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "file_source-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[cfg(feature = "json")]
/// Writes `lens[p]` records of partition `p` as JSON lines, one file each;
/// returns the paths and, per file, the byte offset where each line starts
/// (and the file's length last).
fn write_json(d: &Path, lens: &[u64]) -> (Vec<PathBuf>, Vec<Vec<u64>>) {
    let mut paths = Vec::new();
    let mut starts = Vec::new();
    for (p, &n) in lens.iter().enumerate() {
        let mut text = String::new();
        let mut at = Vec::new();
        for i in 0..n {
            at.push(text.len() as u64);
            text.push_str(&serde_json::to_string(&rec(p as u32, i)).unwrap());
            text.push('\n');
        }
        at.push(text.len() as u64);
        let path = d.join(format!("part-{p}.jsonl"));
        std::fs::write(&path, text).unwrap();
        paths.push(path);
        starts.push(at);
    }
    (paths, starts)
}

#[cfg(feature = "csv")]
fn write_csv(d: &Path, lens: &[u64]) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for (p, &n) in lens.iter().enumerate() {
        let path = d.join(format!("part-{p}.csv"));
        let mut w = csv::Writer::from_path(&path).unwrap();
        for i in 0..n {
            w.serialize(rec(p as u32, i)).unwrap();
        }
        if n == 0 {
            w.write_record(["p", "i", "name"]).unwrap();
        }
        w.flush().unwrap();
        paths.push(path);
    }
    paths
}

/// Splits `src` for `cores` cores and reads the splits in turn, one batch
/// each (batch sizes from `batches`, cycled), until at least `stop` events
/// were read or all ended. Returns the events per partition, in the order
/// read, and the positions of all splits at that point.
fn run<S: Source<Rec>>(
    src: &mut S,
    cores: usize,
    batches: &[usize],
    stop: usize,
) -> (BTreeMap<u32, Vec<Rec>>, Vec<Position>) {
    let mut splits: Vec<_> = (0..cores).map(|c| src.split(c, cores)).collect();
    let mut ended = vec![false; cores];
    let mut got: BTreeMap<u32, Vec<Rec>> = BTreeMap::new();
    let mut total = 0;
    let mut b = 0;
    while total < stop && ended.iter().any(|e| !e) {
        for (c, split) in splits.iter_mut().enumerate() {
            if ended[c] || total >= stop {
                continue;
            }
            let max = batches[b % batches.len()];
            b += 1;
            let mut buf = Vec::new();
            let status = split.read(&mut buf, max);
            assert!(buf.len() <= max, "read {} events, max {max}", buf.len());
            total += buf.len();
            for r in buf {
                got.entry(r.p).or_default().push(r);
            }
            if status == Read::End {
                ended[c] = true;
            }
        }
    }
    let mut positions = Vec::new();
    for split in &splits {
        split.positions(&mut positions);
    }
    (got, positions)
}

/// What every source holds: partition `p` has `lens[p]` records in order.
fn expected(lens: &[u64]) -> BTreeMap<u32, Vec<Rec>> {
    (lens.iter().enumerate())
        .filter(|&(_, &n)| n > 0)
        .map(|(p, &n)| (p as u32, (0..n).map(|i| rec(p as u32, i)).collect()))
        .collect()
}

/// Reads `stop` events on `first` cores, then resumes a new source from
/// the positions on `second` cores: each partition is read exactly once,
/// in order.
fn check_resume<S: Source<Rec>>(
    mut make: impl FnMut() -> S,
    lens: &[u64],
    first: usize,
    second: usize,
    batches: &[usize],
    stop: usize,
) {
    let mut a = make();
    assert!(a.replayable());
    let (mut got, positions) = run(&mut a, first, batches, stop);
    let mut partitions: Vec<u32> = positions.iter().map(|p| p.partition).collect();
    partitions.sort_unstable();
    assert_eq!(
        partitions,
        (0..lens.len() as u32).collect::<Vec<_>>(),
        "every partition reports its position exactly once"
    );
    let mut b = make();
    b.seek(&positions).unwrap();
    let (rest, _) = run(&mut b, second, batches, usize::MAX);
    for (p, events) in rest {
        got.entry(p).or_default().extend(events);
    }
    assert_eq!(
        got,
        expected(lens),
        "cores {first} then {second}, stop {stop}, batches {batches:?}"
    );
}

#[cfg(feature = "json")]
#[test]
fn json_lines_read_in_order_with_exact_positions() {
    let d = dir("json-order");
    let n = 37;
    let (paths, starts) = write_json(&d, &[n]);
    for max in [1, 2, 5, 36, 37, 100] {
        let mut src = source::json_lines::<Rec>(&paths).unwrap();
        let mut split = src.split(0, 1);
        let mut all = Vec::new();
        let mut at = Vec::new();
        split.positions(&mut at);
        assert_eq!(
            at,
            [Position {
                partition: 0,
                offset: 0
            }]
        );
        loop {
            let mut buf = Vec::new();
            let status = split.read(&mut buf, max);
            assert!(buf.len() <= max);
            all.extend(buf);
            let mut at = Vec::new();
            split.positions(&mut at);
            assert_eq!(
                at,
                [Position {
                    partition: 0,
                    offset: starts[0][all.len()]
                }],
                "after {} events in batches of {max}",
                all.len()
            );
            if status == Read::End {
                break;
            }
            assert!(all.len() <= n as usize);
        }
        assert_eq!(all, expected(&[n])[&0]);
        assert_eq!(src.rejected(), 0);
    }
}

#[cfg(feature = "json")]
#[test]
fn json_lines_resume_on_other_core_counts() {
    let d = dir("json-resume");
    let lens = [23, 0, 17, 40, 5];
    let (paths, _) = write_json(&d, &lens);
    let make = || source::json_lines::<Rec>(&paths).unwrap();
    for (first, second) in [
        (1, 1),
        (2, 2),
        (3, 3),
        (2, 1),
        (2, 4),
        (1, 3),
        (4, 2),
        (3, 7),
    ] {
        for stop in [0, 1, 7, 30, 84, 85, 1000] {
            check_resume(make, &lens, first, second, &[3, 1, 8], stop);
        }
    }
}

#[cfg(feature = "csv")]
#[test]
fn csv_reads_in_order_and_resumes_on_other_core_counts() {
    let d = dir("csv-resume");
    let lens = [31, 12, 0, 26];
    let paths = write_csv(&d, &lens);
    // Read whole: everything in order.
    let mut src = source::csv::<Rec>(&paths).unwrap();
    let (all, _) = run(&mut src, 1, &[4], usize::MAX);
    assert_eq!(all, expected(&lens));
    assert_eq!(src.rejected(), 0);

    let make = || source::csv::<Rec>(&paths).unwrap();
    for (first, second) in [(1, 1), (2, 2), (3, 3), (2, 1), (2, 4), (1, 3), (4, 2)] {
        for stop in [0, 1, 9, 40, 69, 1000] {
            check_resume(make, &lens, first, second, &[5, 2, 11], stop);
        }
    }
}

#[cfg(feature = "csv")]
#[test]
fn csv_positions_are_record_starts() {
    let d = dir("csv-positions");
    let path = d.join("a.csv");
    // A quoted field with a newline inside and CRLF line ends.
    let text = "p,i,name\r\n0,0,\"two\nlines\"\r\n0,1,b\r\n0,2,\"c, \"\"d\"\"\"\r\n";
    std::fs::write(&path, text).unwrap();
    let mut src = source::csv::<Rec>([&path]).unwrap();
    let mut split = src.split(0, 1);
    let mut at = Vec::new();
    split.positions(&mut at);
    // The csv crate ends a record at its CR: the offset is the LF after it
    // (an empty line, skipped), one byte before the next record.
    let first = text.find("0,0").unwrap() as u64;
    assert!(at[0].offset == first || at[0].offset == first - 1);
    let mut buf = Vec::new();
    split.read(&mut buf, 1);
    assert_eq!(buf[0].name, "two\nlines");
    at.clear();
    split.positions(&mut at);
    // Past the CRLF of the first record, or on its LF (an empty line that
    // the reader skips): either way the next record is "0,1,b".
    let next = text.find("0,1,b").unwrap() as u64;
    assert!(
        at[0].offset == next || at[0].offset == next - 1,
        "{} vs {next}",
        at[0].offset
    );
    let mut again = source::csv::<Rec>([&path]).unwrap();
    again.seek(&at).unwrap();
    let mut rest = Vec::new();
    assert_eq!(again.split(0, 1).read(&mut rest, 10), Read::End);
    assert_eq!(
        rest.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["b", "c, \"d\""]
    );
}

#[test]
fn generator_resumes_on_other_core_counts() {
    let lens = [50u64; 5];
    let make = || source::generator(5, 50, rec);
    // Read whole: everything in order.
    let (all, _) = run(&mut make(), 2, &[7], usize::MAX);
    assert_eq!(all, expected(&lens));
    for (first, second) in [
        (1, 1),
        (2, 2),
        (3, 3),
        (2, 1),
        (2, 4),
        (1, 3),
        (4, 2),
        (3, 8),
    ] {
        for stop in [0, 1, 13, 100, 249, 250, 1000] {
            check_resume(make, &lens, first, second, &[4, 1, 9], stop);
        }
    }
}

#[test]
fn generator_positions_are_indices() {
    let mut src = source::generator(3, 10, |p, i| (p, i));
    let mut split = src.split(1, 2); // partition 1
    let mut buf = Vec::new();
    assert_eq!(split.read(&mut buf, 4), Read::More);
    assert_eq!(buf, [(1, 0), (1, 1), (1, 2), (1, 3)]);
    let mut at = Vec::new();
    split.positions(&mut at);
    assert_eq!(
        at,
        [Position {
            partition: 1,
            offset: 4
        }]
    );
    buf.clear();
    assert_eq!(split.read(&mut buf, 6), Read::End);
    assert_eq!(buf.len(), 6);
    at.clear();
    split.positions(&mut at);
    assert_eq!(
        at,
        [Position {
            partition: 1,
            offset: 10
        }]
    );
}

#[test]
fn a_split_reads_its_partitions_round_robin() {
    let mut src = source::generator(4, 100, |p, i| (p, i));
    // Core 0 of 2: partitions 0 and 2, a batch each in turn.
    let mut split = src.split(0, 2);
    let mut firsts = Vec::new();
    for _ in 0..4 {
        let mut buf = Vec::new();
        split.read(&mut buf, 3);
        firsts.push(buf[0]);
    }
    assert_eq!(firsts, [(0, 0), (2, 0), (0, 3), (2, 3)]);
}

#[test]
fn unknown_partition_is_a_typed_error() {
    let bad = [Position {
        partition: 2,
        offset: 0,
    }];
    #[cfg(feature = "json")]
    {
        let d = dir("unknown");
        let (paths, _) = write_json(&d, &[3, 3]);
        let mut json = source::json_lines::<Rec>(&paths).unwrap();
        assert!(matches!(
            json.seek(&bad),
            Err(SourceError::UnknownPartition {
                partition: 2,
                partitions: 2
            })
        ));
    }
    let mut generator = source::generator(2, 3, rec);
    assert!(matches!(
        Source::<Rec>::seek(&mut generator, &bad),
        Err(SourceError::UnknownPartition {
            partition: 2,
            partitions: 2
        })
    ));
}

#[cfg(feature = "json")]
#[test]
fn malformed_json_lines_are_counted_and_the_rest_read() {
    let d = dir("json-malformed");
    let path = d.join("a.jsonl");
    let good = |i| serde_json::to_string(&rec(0, i)).unwrap();
    let text = format!(
        "{}\nnot json\n{}\n{{\"p\": 0}}\n\n   \n{}\n\u{0}\u{fffd}\n",
        good(0),
        good(1),
        good(2)
    );
    let mut bytes = text.into_bytes();
    // A line that is not UTF-8.
    bytes.extend_from_slice(b"\xff\xfe\n");
    bytes.extend_from_slice(format!("{}\n", good(3)).as_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let mut src = source::json_lines::<Rec>([&path]).unwrap();
    let errors = src.errors();
    let mut split = src.split(0, 1);
    let mut all = Vec::new();
    while {
        let mut buf = Vec::new();
        let status = split.read(&mut buf, 2);
        all.extend(buf);
        status != Read::End
    } {}
    assert_eq!(all, (0..4).map(|i| rec(0, i)).collect::<Vec<_>>());
    // "not json", the record without fields, the NUL line, the bytes that
    // are not UTF-8; blank lines are not records.
    assert_eq!(errors.rejected(), 4);
    assert_eq!(errors.failed(), 0);
    let last = errors.last().unwrap();
    assert!(last.contains("a.jsonl"), "{last}");
    let mut at = Vec::new();
    split.positions(&mut at);
    assert_eq!(at[0].offset, bytes.len() as u64);
}

#[cfg(feature = "csv")]
#[test]
fn malformed_csv_records_are_counted_and_the_rest_read() {
    let d = dir("csv-malformed");
    let path = d.join("a.csv");
    let text = "p,i,name\n0,0,a\n0,x,not a number\n0,1\n0,2,b,extra\n0,1,b\n\n0,2,c\n";
    std::fs::write(&path, text).unwrap();
    let mut src = source::csv::<Rec>([&path]).unwrap();
    let mut split = src.split(0, 1);
    let mut buf = Vec::new();
    assert_eq!(split.read(&mut buf, 100), Read::End);
    assert_eq!(
        buf.iter()
            .map(|r| (r.i, r.name.as_str()))
            .collect::<Vec<_>>(),
        [(0, "a"), (1, "b"), (2, "c")]
    );
    assert_eq!(src.rejected(), 3);
    assert!(src.last_error().is_some());

    // Resumed right before a malformed record: the field count is still
    // checked against the header, not against the first record read.
    let at = [Position {
        partition: 0,
        offset: text.find("0,1\n").unwrap() as u64,
    }];
    let mut again = source::csv::<Rec>([&path]).unwrap();
    again.seek(&at).unwrap();
    let mut buf = Vec::new();
    again.split(0, 1).read(&mut buf, 100);
    assert_eq!(buf.iter().map(|r| r.i).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(again.rejected(), 2);
}

#[cfg(feature = "json")]
#[test]
fn a_missing_file_is_a_typed_error() {
    let d = dir("missing");
    let (mut paths, _) = write_json(&d, &[2]);
    paths.push(d.join("nope.jsonl"));
    match source::json_lines::<Rec>(&paths) {
        Err(SourceError::Io { what, source }) => {
            assert!(what.contains("nope.jsonl"), "{what}");
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
    #[cfg(feature = "csv")]
    assert!(matches!(
        source::csv::<Rec>([d.join("nope.csv")]),
        Err(SourceError::Io { .. })
    ));
}

#[cfg(all(feature = "json", feature = "csv"))]
#[test]
fn a_last_line_without_newline_is_a_record() {
    let d = dir("no-newline");
    let json = d.join("a.jsonl");
    let text = format!(
        "{}\n{}",
        serde_json::to_string(&rec(0, 0)).unwrap(),
        serde_json::to_string(&rec(0, 1)).unwrap()
    );
    std::fs::write(&json, &text).unwrap();
    let mut src = source::json_lines::<Rec>([&json]).unwrap();
    let mut split = src.split(0, 1);
    let mut buf = Vec::new();
    assert_eq!(split.read(&mut buf, 10), Read::End);
    assert_eq!(buf, [rec(0, 0), rec(0, 1)]);
    let mut at = Vec::new();
    split.positions(&mut at);
    assert_eq!(at[0].offset, text.len() as u64);

    // Cut in the middle of a record: that part is rejected, not lost
    // silently.
    std::fs::write(&json, &text[..text.len() - 3]).unwrap();
    let mut src = source::json_lines::<Rec>([&json]).unwrap();
    let mut buf = Vec::new();
    src.split(0, 1).read(&mut buf, 10);
    assert_eq!(buf, [rec(0, 0)]);
    assert_eq!(src.rejected(), 1);

    let csv = d.join("a.csv");
    std::fs::write(&csv, "p,i,name\n0,0,a\n0,1,b").unwrap();
    let mut src = source::csv::<Rec>([&csv]).unwrap();
    let mut buf = Vec::new();
    src.split(0, 1).read(&mut buf, 10);
    assert_eq!(buf.iter().map(|r| r.i).collect::<Vec<_>>(), [0, 1]);
}

#[cfg(feature = "csv")]
#[test]
fn csv_without_headers() {
    let d = dir("csv-no-headers");
    let path = d.join("a.csv");
    std::fs::write(&path, "0;0;a\n0;1;b\n0;2;c\n").unwrap();
    let options = source::CsvOptions::new().headers(false).delimiter(b';');
    let mut src = source::csv_with::<Rec>([&path], options).unwrap();
    let mut split = src.split(0, 1);
    let mut buf = Vec::new();
    split.read(&mut buf, 1);
    assert_eq!(
        buf,
        [Rec {
            p: 0,
            i: 0,
            name: "a".into()
        }]
    );
    let mut at = Vec::new();
    split.positions(&mut at);
    assert_eq!(at[0].offset, 6);
    let mut again = source::csv_with::<Rec>([&path], options).unwrap();
    again.seek(&at).unwrap();
    let mut buf = Vec::new();
    again.split(0, 1).read(&mut buf, 10);
    assert_eq!(buf.iter().map(|r| r.i).collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn a_split_for_a_core_without_partitions_ends() {
    let mut src = source::generator(2, 5, |p, i| (p, i));
    let mut split = src.split(3, 4);
    let mut buf = Vec::new();
    assert_eq!(split.read(&mut buf, 10), Read::End);
    assert!(buf.is_empty());
    let mut at = Vec::new();
    split.positions(&mut at);
    assert!(at.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[cfg(feature = "json")]
    #[test]
    fn resume_anywhere_json(
        lens in prop::collection::vec(0u64..30, 1..6),
        first in 1usize..5,
        second in 1usize..5,
        batches in prop::collection::vec(1usize..12, 1..4),
        stop in 0usize..160,
    ) {
        let d = dir("prop-json");
        let (json, _) = write_json(&d, &lens);
        check_resume(|| source::json_lines::<Rec>(&json).unwrap(), &lens, first, second, &batches, stop);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[cfg(feature = "csv")]
    #[test]
    fn resume_anywhere_csv(
        lens in prop::collection::vec(0u64..30, 1..6),
        first in 1usize..5,
        second in 1usize..5,
        batches in prop::collection::vec(1usize..12, 1..4),
        stop in 0usize..160,
    ) {
        let d = dir("prop-csv");
        let csv = write_csv(&d, &lens);
        check_resume(|| source::csv::<Rec>(&csv).unwrap(), &lens, first, second, &batches, stop);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn resume_anywhere_generator(
        parts in 1u32..8,
        len in 0u64..40,
        first in 1usize..6,
        second in 1usize..6,
        batches in prop::collection::vec(1usize..12, 1..4),
        stop in 0usize..300,
    ) {
        let lens = vec![len; parts as usize];
        check_resume(|| source::generator(parts, len, rec), &lens, first, second, &batches, stop);
    }
}
