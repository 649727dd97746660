//! How typed keys and values become bytes for the memory-mapped store and
//! for snapshots: any serde type, encoded with postcard.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StateError;

/// A type that can be stored as bytes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be kept in state: it is not serializable",
    label = "state keys and values must be `Serialize + DeserializeOwned`",
    note = "derive `serde::Serialize, serde::Deserialize` on the type"
)]
pub trait Codec: Sized {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), StateError>;
    /// Reads a value back.
    fn decode(bytes: &[u8]) -> Result<Self, StateError>;
}

impl<T: Serialize + DeserializeOwned> Codec for T {
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), StateError> {
        let buf = std::mem::take(out);
        *out = postcard::to_extend(self, buf).map_err(|e| StateError::Codec(e.to_string()))?;
        Ok(())
    }

    #[inline]
    fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        postcard::from_bytes(bytes).map_err(|e| StateError::Codec(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let mut buf = Vec::new();
        (42u64, String::from("k")).encode(&mut buf).unwrap();
        assert_eq!(<(u64, String)>::decode(&buf).unwrap(), (42, "k".into()));
        assert!(u64::decode(&[0xff; 11]).is_err());
    }
}
