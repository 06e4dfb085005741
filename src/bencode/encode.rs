//! Canonical bencode encoding.

use super::value::OwnedValue;

/// Encodes a value canonically (dictionary keys sorted; raw parts copied unchanged).
pub fn encode(value: &OwnedValue) -> Vec<u8> {
    let mut enc = Encoder::default();
    enc.value(value);
    enc.finish()
}

/// An append-only bencode writer, for building documents without an intermediate tree.
///
/// The caller is responsible for writing dictionary keys in sorted order.
#[derive(Debug, Default)]
pub struct Encoder {
    out: Vec<u8>,
}

impl Encoder {
    /// A writer that appends to `out`.
    pub fn with_buffer(out: Vec<u8>) -> Self {
        Encoder { out }
    }

    /// Writes an integer.
    pub fn int(&mut self, i: i64) -> &mut Self {
        self.out.push(b'i');
        self.out.extend_from_slice(i.to_string().as_bytes());
        self.out.push(b'e');
        self
    }

    /// Writes a byte string.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.out.extend_from_slice(b.len().to_string().as_bytes());
        self.out.push(b':');
        self.out.extend_from_slice(b);
        self
    }

    /// Opens a list; close it with [`Encoder::end`].
    pub fn list(&mut self) -> &mut Self {
        self.out.push(b'l');
        self
    }

    /// Opens a dictionary; close it with [`Encoder::end`].
    pub fn dict(&mut self) -> &mut Self {
        self.out.push(b'd');
        self
    }

    /// Closes the innermost list or dictionary.
    pub fn end(&mut self) -> &mut Self {
        self.out.push(b'e');
        self
    }

    /// Appends bytes that are already bencoded.
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.out.extend_from_slice(b);
        self
    }

    /// Writes any owned value.
    pub fn value(&mut self, v: &OwnedValue) -> &mut Self {
        match v {
            OwnedValue::Int(i) => self.int(*i),
            OwnedValue::Bytes(b) => self.bytes(b),
            OwnedValue::Raw(b) => self.raw(b),
            OwnedValue::List(items) => {
                self.list();
                for item in items {
                    self.value(item);
                }
                self.end()
            }
            OwnedValue::Dict(map) => {
                self.dict();
                for (k, v) in map {
                    self.bytes(k);
                    self.value(v);
                }
                self.end()
            }
        }
    }

    /// The bytes written so far.
    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bencode::{decode, Limits};
    use std::collections::BTreeMap;

    #[test]
    fn canonical_round_trip() {
        let mut map = BTreeMap::new();
        map.insert(b"zeta".to_vec(), OwnedValue::Int(-7));
        map.insert(b"alpha".to_vec(), OwnedValue::str_list(["a", "bc"]));
        map.insert(b"raw".to_vec(), OwnedValue::Raw(b"d1:xi1ee".to_vec()));
        let bytes = encode(&OwnedValue::Dict(map));
        assert_eq!(bytes, b"d5:alphal1:a2:bce3:rawd1:xi1ee4:zetai-7ee");
        let back = decode(&bytes, Limits::strict()).unwrap();
        assert_eq!(encode(&back.to_owned()), bytes);
    }

    #[test]
    fn raw_copy_keeps_noncanonical_bytes() {
        let input = b"d4:infod1:bi1e1:ai2ee1:xi0ee";
        let v = decode(input, Limits::default()).unwrap();
        let map = v.as_dict().unwrap().to_owned_raw();
        assert_eq!(encode(&OwnedValue::Dict(map)), input.to_vec());
    }
}
