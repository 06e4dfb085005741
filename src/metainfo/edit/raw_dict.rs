//! A dictionary that keeps its entries in input order as raw bencode, so re-encoding an
//! unedited dictionary reproduces its bytes exactly.

use crate::bencode::{decode, Dict, Encoder, Limits, OwnedValue, Value};

/// Dictionary entries in input order; untouched values are [`OwnedValue::Raw`] slices of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawDict {
    entries: Vec<(Vec<u8>, OwnedValue)>,
}

impl RawDict {
    /// Copies every entry of `dict` as raw bytes, in input order (duplicates kept).
    pub(crate) fn from_dict(dict: &Dict<'_>) -> Self {
        let entries = dict.entries().iter().map(|(k, v)| (k.to_vec(), OwnedValue::Raw(v.raw().into_owned()))).collect();
        RawDict { entries }
    }

    /// The first value stored under `key`, as stored (raw or built).
    pub(crate) fn get(&self, key: &[u8]) -> Option<&OwnedValue> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// True when `key` is present.
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// The first value under `key`, decoded into an owned tree (raw values are parsed).
    pub(crate) fn get_decoded(&self, key: &[u8]) -> Option<OwnedValue> {
        self.get(key).and_then(decoded)
    }

    /// Sets `key`: replaces the first occurrence in place and drops later duplicates, or inserts
    /// the key before the first greater key so a sorted dictionary stays sorted.
    pub(crate) fn set(&mut self, key: &[u8], value: OwnedValue) {
        match self.entries.iter().position(|(k, _)| k == key) {
            Some(i) => {
                self.entries[i].1 = value;
                let mut seen = 0usize;
                self.entries.retain(|(k, _)| {
                    if k != key {
                        return true;
                    }
                    seen += 1;
                    seen == 1
                });
            }
            None => {
                let at = self.entries.iter().position(|(k, _)| k.as_slice() > key).unwrap_or(self.entries.len());
                self.entries.insert(at, (key.to_vec(), value));
            }
        }
    }

    /// Removes every occurrence of `key`; true when something was removed.
    pub(crate) fn remove(&mut self, key: &[u8]) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(k, _)| k != key);
        self.entries.len() != before
    }

    /// Writes the dictionary in its stored order.
    pub(crate) fn encode_into(&self, enc: &mut Encoder) {
        enc.dict();
        for (k, v) in &self.entries {
            enc.bytes(k);
            enc.value(v);
        }
        enc.end();
    }

    /// The encoded dictionary.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut enc = Encoder::default();
        self.encode_into(&mut enc);
        enc.finish()
    }
}

/// A stored value as an owned tree, parsing raw bytes; `None` if raw bytes fail to parse.
fn decoded(v: &OwnedValue) -> Option<OwnedValue> {
    match v {
        OwnedValue::Raw(raw) => decode(raw, Limits::default()).ok().map(|v: Value<'_>| v.to_owned()),
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict_of(input: &[u8]) -> RawDict {
        let v = decode(input, Limits::default()).unwrap();
        RawDict::from_dict(v.as_dict().unwrap())
    }

    #[test]
    fn unedited_round_trip_keeps_order_and_duplicates() {
        let input = b"d1:bi1e1:ai2e1:bi3ee";
        assert_eq!(dict_of(input).to_bytes(), input.to_vec());
    }

    #[test]
    fn set_replaces_first_and_drops_duplicates() {
        let mut d = dict_of(b"d1:bi1e1:ai2e1:bi3ee");
        d.set(b"b", OwnedValue::Int(9));
        assert_eq!(d.to_bytes(), b"d1:bi9e1:ai2ee".to_vec());
    }

    #[test]
    fn set_inserts_in_sorted_position_and_remove_drops_all() {
        let mut d = dict_of(b"d1:ai1e1:ci3ee");
        d.set(b"b", OwnedValue::bytes("x"));
        d.set(b"d", OwnedValue::Int(4));
        assert_eq!(d.to_bytes(), b"d1:ai1e1:b1:x1:ci3e1:di4ee".to_vec());
        assert!(d.remove(b"b"));
        assert!(!d.remove(b"b"));
        assert!(!d.contains(b"b"));
        assert_eq!(d.get_decoded(b"c"), Some(OwnedValue::Int(3)));
    }
}
