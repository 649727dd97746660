//! The snapshot format both stores share: a sequence of entries, each
//! `[key length: u32 LE][value length: u32 LE][key][value]`.

use super::StateError;

/// Appends one entry.
pub(crate) fn write_entry(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(value);
}

/// Calls `f` for every entry of `bytes`.
pub(crate) fn read_entries(
    bytes: &[u8],
    mut f: impl FnMut(&[u8], &[u8]) -> Result<(), StateError>,
) -> Result<(), StateError> {
    let mut at = 0;
    let u32_at = |i: usize| -> Option<usize> {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    while at < bytes.len() {
        let (Some(kl), Some(vl)) = (u32_at(at), u32_at(at + 4)) else {
            return Err(StateError::BadSnapshot { at });
        };
        let k = at + 8;
        let v = k + kl;
        let end = v + vl;
        if end > bytes.len() {
            return Err(StateError::BadSnapshot { at });
        }
        f(&bytes[k..v], &bytes[v..end])?;
        at = end;
    }
    Ok(())
}
