//! The log's framing: `[len: u32 LE][crc: u32 LE][payload]`, the end
//! marker, and the scan that finds where the well-formed part of a log
//! ends.

use std::io::{self, Read};

/// Bytes of a record's header: its length and its checksum.
pub(crate) const HEADER: u64 = 8;

/// The length field of the end marker, which has no payload. No record is
/// this long: [`WalInput::submit`](super::WalInput::submit) refuses one.
pub(crate) const END_LEN: u32 = u32::MAX;

/// The checksum of a record: CRC-32 (IEEE) over its length field and its
/// payload. The length is covered so that a run of zero bytes (what a file
/// can hold past its last write after a power loss) is not a valid empty
/// record: the CRC of four zero bytes is not zero.
pub(crate) fn checksum(len: u32, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&len.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// Appends the header of a record whose payload is `payload`, then the
/// payload. The caller checked that `payload.len() < END_LEN`.
pub(crate) fn put_record(payload: &[u8], out: &mut Vec<u8>) {
    let len = u32::try_from(payload.len()).expect("checked by the caller");
    debug_assert!(len < END_LEN);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&checksum(len, payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// The end marker: the header alone, length [`END_LEN`].
pub(crate) fn end_marker() -> [u8; HEADER as usize] {
    let mut m = [0; HEADER as usize];
    m[..4].copy_from_slice(&END_LEN.to_le_bytes());
    m[4..].copy_from_slice(&checksum(END_LEN, &[]).to_le_bytes());
    m
}

/// A header, split into its fields.
pub(crate) fn parse_header(h: &[u8; HEADER as usize]) -> (u32, u32) {
    let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    let crc = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    (len, crc)
}

/// What a scan of a log found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Scan {
    /// The length of the well-formed prefix: every record in it is whole
    /// and its checksum matches (and the end marker, if `closed`).
    pub valid: u64,
    /// Records in the well-formed prefix (the end marker not counted).
    pub records: u64,
    /// Whether the prefix ends with the end marker.
    pub closed: bool,
}

/// Reads records from `r` (a log of `file_len` bytes, read from its start)
/// until the first that is not whole or whose checksum does not match, or
/// the end marker. Nothing after the end marker is part of the log.
pub(crate) fn scan(r: impl Read, file_len: u64) -> io::Result<Scan> {
    let mut r = io::BufReader::with_capacity(256 * 1024, r);
    let mut s = Scan {
        valid: 0,
        records: 0,
        closed: false,
    };
    let mut payload = Vec::new();
    loop {
        if s.valid + HEADER > file_len {
            return Ok(s);
        }
        let mut h = [0; HEADER as usize];
        r.read_exact(&mut h)?;
        let (len, crc) = parse_header(&h);
        if len == END_LEN {
            if crc == checksum(END_LEN, &[]) {
                s.valid += HEADER;
                s.closed = true;
            }
            return Ok(s);
        }
        let end = s.valid + HEADER + u64::from(len);
        // A length that runs past the end of the file: a torn write, or a
        // corrupt length. Checked before allocating, so a garbage length
        // does not ask for 4 GiB.
        if end > file_len {
            return Ok(s);
        }
        payload.resize(len as usize, 0);
        r.read_exact(&mut payload)?;
        if checksum(len, &payload) != crc {
            return Ok(s);
        }
        s.valid = end;
        s.records += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(payloads: &[&[u8]], close: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for p in payloads {
            put_record(p, &mut out);
        }
        if close {
            out.extend_from_slice(&end_marker());
        }
        out
    }

    fn scan_bytes(b: &[u8]) -> Scan {
        scan(b, b.len() as u64).unwrap()
    }

    #[test]
    fn frames_round_trip() {
        let b = log(&[b"one", b"", b"three"], true);
        assert_eq!(b.len(), 3 * 8 + 3 + 5 + 8);
        assert_eq!(
            scan_bytes(&b),
            Scan {
                valid: b.len() as u64,
                records: 3,
                closed: true
            }
        );
        let (len, crc) = parse_header(b[..8].try_into().unwrap());
        assert_eq!((len, crc), (3, checksum(3, b"one")));
        assert_eq!(&b[8..11], b"one");
    }

    #[test]
    fn zeroes_are_not_records() {
        assert_ne!(checksum(0, &[]), 0);
        let mut b = log(&[b"a"], false);
        let valid = b.len() as u64;
        b.extend_from_slice(&[0; 64]);
        assert_eq!(
            scan_bytes(&b),
            Scan {
                valid,
                records: 1,
                closed: false
            }
        );
    }

    #[test]
    fn a_cut_anywhere_in_the_last_record_keeps_the_ones_before() {
        let whole = log(&[b"first", b"second", b"the last record"], false);
        let before = (8 + 5 + 8 + 6) as u64;
        for cut in before as usize..whole.len() {
            let s = scan_bytes(&whole[..cut]);
            assert_eq!((s.valid, s.records, s.closed), (before, 2, false), "{cut}");
        }
        assert_eq!(scan_bytes(&whole).records, 3);
    }

    #[test]
    fn a_garbage_length_is_a_torn_tail() {
        let mut b = log(&[b"x"], false);
        b.extend_from_slice(&(u32::MAX - 1).to_le_bytes());
        b.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(scan_bytes(&b).valid, 9);
    }

    #[test]
    fn nothing_after_the_end_marker_counts() {
        let mut b = log(&[b"x"], true);
        let valid = b.len() as u64;
        put_record(b"after", &mut b);
        assert_eq!(
            scan_bytes(&b),
            Scan {
                valid,
                records: 1,
                closed: true
            }
        );
        // A damaged end marker is cut like any torn record.
        let mut b = log(&[b"x"], true);
        let n = b.len();
        b[n - 1] ^= 1;
        assert!(!scan_bytes(&b).closed);
        assert_eq!(scan_bytes(&b).valid, 9);
    }
}
