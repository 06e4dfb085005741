//! Bencode: a strict, zero-copy decoder for untrusted input and a canonical encoder.
//!
//! Decoding borrows every byte string from the input and remembers the exact span of every
//! value, so an info-hash is always computed over the `info` bytes as received. Limits on
//! nesting depth and on the number of values are arguments ([`Limits`]), integers are checked
//! (no leading zeros, no `-0`, overflow is an error), and dictionaries may be required to have
//! strictly increasing keys.
//!
//! Encoding writes canonical bencode from [`OwnedValue`] (dictionary keys sorted), and can
//! splice raw, already-encoded bytes unchanged ([`OwnedValue::Raw`]) so an edit never alters
//! parts it did not touch.

mod decode;
mod encode;
mod value;

pub use decode::{decode, decode_prefix, DecodeError, DecodeErrorKind, Limits};
pub use encode::{encode, Encoder};
pub use value::{Dict, OwnedValue, Value};
