//! How typed keys and values become bytes for the memory-mapped store and
//! for snapshots: any serde type, encoded with postcard, except the
//! primitive integers, which are the commonest keys and values and take a
//! fixed-width little-endian path: a copy instead of a varint loop, which at
//! 1M keys is the difference between a store read that keeps several cache
//! misses in flight and one that waits for each.

use core::any::{Any, TypeId};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StateError;

/// Encodes `value` fixed-width if it is one of the primitive integers.
#[inline(always)]
fn encode_fixed<T: 'static>(value: &T, out: &mut Vec<u8>) -> bool {
    let any = value as &dyn Any;
    macro_rules! try_types {
        ($($t:ty),*) => {$(
            if let Some(v) = any.downcast_ref::<$t>() {
                out.extend_from_slice(&v.to_le_bytes());
                return true;
            }
        )*};
    }
    try_types!(u16, u32, u64, u128, usize, i16, i32, i64, i128, isize);
    false
}

/// A fixed-width integer stored with another length.
#[derive(Debug, thiserror::Error)]
#[error("expected {expected} bytes for {ty}, found {found}")]
struct WidthMismatch {
    expected: usize,
    ty: &'static str,
    found: usize,
}

/// Decodes a fixed-width integer `T`, if `T` is one; `Some(Err)` for a
/// wrong length.
#[inline(always)]
fn decode_fixed<T: 'static>(bytes: &[u8]) -> Option<Result<T, StateError>> {
    macro_rules! try_types {
        ($($t:ty),*) => {$(
            if TypeId::of::<T>() == TypeId::of::<$t>() {
                let Ok(raw) = <[u8; core::mem::size_of::<$t>()]>::try_from(bytes) else {
                    return Some(Err(StateError::Codec(Box::new(WidthMismatch {
                        expected: core::mem::size_of::<$t>(),
                        ty: stringify!($t),
                        found: bytes.len(),
                    }))));
                };
                // The type check above is a constant after monomorphization:
                // this moves the value out as `T` without a copy or a box.
                let mut slot = Some(<$t>::from_le_bytes(raw));
                return (&mut slot as &mut dyn Any)
                    .downcast_mut::<Option<T>>()
                    .and_then(Option::take)
                    .map(Ok);
            }
        )*};
    }
    try_types!(u16, u32, u64, u128, usize, i16, i32, i64, i128, isize);
    None
}

/// Encodes `value` if it is a primitive number, a `bool` or a `String`:
/// how the built-in aggregates keep values of a type they do not bound by
/// [`Codec`] (so that `max(|e| e.price)` needs no serde bound); false for
/// any other type.
pub(crate) fn encode_plain<T: 'static>(value: &T, out: &mut Vec<u8>) -> bool {
    if encode_fixed(value, out) {
        return true;
    }
    let any = value as &dyn Any;
    macro_rules! try_types {
        ($($t:ty),*) => {$(
            if let Some(v) = any.downcast_ref::<$t>() {
                out.extend_from_slice(&v.to_le_bytes());
                return true;
            }
        )*};
    }
    try_types!(u8, i8, f32, f64);
    if let Some(b) = any.downcast_ref::<bool>() {
        out.push(u8::from(*b));
        return true;
    }
    if let Some(s) = any.downcast_ref::<String>() {
        out.extend_from_slice(s.as_bytes());
        return true;
    }
    false
}

/// Reads back what [`encode_plain`] wrote; `None` for a type it does not
/// take.
pub(crate) fn decode_plain<T: 'static>(bytes: &[u8]) -> Option<Result<T, StateError>> {
    if let Some(v) = decode_fixed::<T>(bytes) {
        return Some(v);
    }
    fn cast<T: 'static, U: 'static>(u: U) -> Option<T> {
        let mut slot = Some(u);
        (&mut slot as &mut dyn Any)
            .downcast_mut::<Option<T>>()
            .and_then(Option::take)
    }
    let bad = || {
        StateError::Codec(Box::new(WidthMismatch {
            expected: 0,
            ty: core::any::type_name::<T>(),
            found: bytes.len(),
        }))
    };
    macro_rules! try_types {
        ($($t:ty),*) => {$(
            if TypeId::of::<T>() == TypeId::of::<$t>() {
                let Ok(raw) = <[u8; core::mem::size_of::<$t>()]>::try_from(bytes) else {
                    return Some(Err(bad()));
                };
                return cast::<T, $t>(<$t>::from_le_bytes(raw)).map(Ok);
            }
        )*};
    }
    try_types!(u8, i8, f32, f64);
    if TypeId::of::<T>() == TypeId::of::<bool>() {
        return match bytes {
            [b] => cast::<T, bool>(*b != 0).map(Ok),
            _ => Some(Err(bad())),
        };
    }
    if TypeId::of::<T>() == TypeId::of::<String>() {
        return match String::from_utf8(bytes.to_vec()) {
            Ok(s) => cast::<T, String>(s).map(Ok),
            Err(_) => Some(Err(bad())),
        };
    }
    None
}

/// What keyed state stores: a serde type, both ways. One trait for both
/// bounds, so that a type with neither gets one error that names both.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be kept in state: it must be `Serialize + Deserialize`",
    label = "state keys and values must be `Serialize + Deserialize`",
    note = "derive `serde::Serialize, serde::Deserialize` on the type"
)]
pub trait Serde: Serialize + DeserializeOwned {}

// Not looked through when a bound fails: the error names `Serde`, once,
// instead of `Serialize` and `Deserialize` separately.
#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned> Serde for T {}

/// A type that can be stored as bytes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be kept in state: it must be `Serialize + Deserialize`",
    label = "state keys and values must be `Serialize + Deserialize`",
    note = "derive `serde::Serialize, serde::Deserialize` on the type"
)]
pub trait Codec: Sized {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), StateError>;
    /// Reads a value back.
    fn decode(bytes: &[u8]) -> Result<Self, StateError>;
}

impl<T: Serde + 'static> Codec for T {
    #[inline]
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), StateError> {
        if encode_fixed(self, out) {
            return Ok(());
        }
        let buf = std::mem::take(out);
        *out = postcard::to_extend(self, buf).map_err(|e| StateError::Codec(Box::new(e)))?;
        Ok(())
    }

    #[inline]
    fn decode(bytes: &[u8]) -> Result<Self, StateError> {
        if let Some(fixed) = decode_fixed(bytes) {
            return fixed;
        }
        postcard::from_bytes(bytes).map_err(|e| StateError::Codec(Box::new(e)))
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

    #[test]
    fn integers_are_fixed_width_little_endian() {
        let mut buf = Vec::new();
        0x0102_0304u32.encode(&mut buf).unwrap();
        assert_eq!(buf, [4, 3, 2, 1]);
        assert_eq!(u32::decode(&buf).unwrap(), 0x0102_0304);
        buf.clear();
        (-2i64).encode(&mut buf).unwrap();
        assert_eq!(i64::decode(&buf).unwrap(), -2);
        assert!(
            u64::decode(&[1, 2, 3]).is_err(),
            "a wrong length is an error, not a panic"
        );
        // Composite types still go through postcard.
        buf.clear();
        (7u64, 8u64).encode(&mut buf).unwrap();
        assert_eq!(buf, [7, 8]);
    }

    #[test]
    fn errors_keep_the_codecs_own_error_as_their_source() {
        use std::error::Error as _;
        let err = String::decode(&[0xff, 0xff, 0xff]).unwrap_err();
        let source = err.source().expect("a source");
        assert!(source.is::<postcard::Error>(), "{source:?}");
        let err = u64::decode(&[1, 2, 3]).unwrap_err();
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("expected 8 bytes for u64, found 3")
        );
    }
}
