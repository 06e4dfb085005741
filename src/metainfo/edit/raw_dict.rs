//! A dictionary that keeps its entries in input order as raw bencode, so re-encoding an
//! unedited dictionary reproduces its bytes exactly. Large values (lists, dictionaries) are
//! kept as spans of the shared input buffer rather than copied.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use crate::bencode::{decode, encode, Dict, Encoder, Limits, OwnedValue, Value};

/// Where an entry's value lives.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    /// A span of the input buffer holding the value's exact encoding.
    Span(Range<usize>),
    /// A value built or copied in memory (possibly [`OwnedValue::Raw`]).
    Owned(OwnedValue),
}

/// Dictionary entries in input order; untouched values are spans of the input bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawDict {
    src: Arc<Vec<u8>>,
    entries: Vec<(Vec<u8>, Slot)>,
}

impl RawDict {
    /// Takes every entry of `dict`, which was decoded from `src`, in input order (duplicates kept).
    pub(crate) fn from_dict(dict: &Dict<'_>, src: &[u8]) -> Self {
        let entries = dict.entries().iter().map(|(k, v)| (k.to_vec(), slot_of(v, src))).collect();
        RawDict { src: Arc::new(Vec::new()), entries }
    }

    /// Attaches the buffer the spans point into (the one given to [`RawDict::from_dict`]).
    pub(crate) fn with_source(mut self, src: Vec<u8>) -> Self {
        self.src = Arc::new(src);
        self
    }

    /// The exact encoding of the first value under `key`, when it is stored raw (a span of the
    /// input or [`OwnedValue::Raw`]).
    pub(crate) fn raw_slice(&self, key: &[u8]) -> Option<&[u8]> {
        match self.slot(key)? {
            Slot::Span(r) => self.src.get(r.clone()),
            Slot::Owned(OwnedValue::Raw(raw)) => Some(raw),
            Slot::Owned(_) => None,
        }
    }

    /// The encoding of the first value under `key`.
    pub(crate) fn encoded(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        match self.slot(key)? {
            Slot::Owned(v) if !matches!(v, OwnedValue::Raw(_)) => Some(Cow::Owned(encode(v))),
            _ => self.raw_slice(key).map(Cow::Borrowed),
        }
    }

    /// A self-contained copy of the first value under `key` (for another dictionary).
    pub(crate) fn get_owned(&self, key: &[u8]) -> Option<OwnedValue> {
        self.encoded(key).map(|b| OwnedValue::Raw(b.into_owned()))
    }

    /// True when `key` is present.
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        self.slot(key).is_some()
    }

    /// The first value under `key`, decoded into an owned tree; `None` if absent or unparsable.
    pub(crate) fn get_decoded(&self, key: &[u8]) -> Option<OwnedValue> {
        let bytes = self.encoded(key)?;
        decode(&bytes, Limits::default()).ok().map(|v: Value<'_>| v.to_owned())
    }

    /// Sets `key`: replaces the first occurrence in place and drops later duplicates, or inserts
    /// the key before the first greater key so a sorted dictionary stays sorted.
    pub(crate) fn set(&mut self, key: &[u8], value: OwnedValue) {
        match self.entries.iter().position(|(k, _)| k == key) {
            Some(i) => {
                self.entries[i].1 = Slot::Owned(value);
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
                self.entries.insert(at, (key.to_vec(), Slot::Owned(value)));
            }
        }
    }

    /// Removes every occurrence of `key`; true when something was removed.
    pub(crate) fn remove(&mut self, key: &[u8]) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(k, _)| k != key);
        self.entries.len() != before
    }

    /// The encoded dictionary, in stored order.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut enc = Encoder::with_buffer(Vec::with_capacity(self.size_hint()));
        enc.dict();
        for (k, slot) in &self.entries {
            enc.bytes(k);
            match slot {
                Slot::Span(r) => enc.raw(&self.src[r.clone()]),
                Slot::Owned(v) => enc.value(v),
            };
        }
        enc.end();
        enc.finish()
    }

    fn slot(&self, key: &[u8]) -> Option<&Slot> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, s)| s)
    }

    /// An upper-bound guess of the encoded size, so encoding allocates once.
    fn size_hint(&self) -> usize {
        let values: usize = self
            .entries
            .iter()
            .map(|(k, slot)| {
                k.len()
                    + 24
                    + match slot {
                        Slot::Span(r) => r.len(),
                        Slot::Owned(OwnedValue::Raw(raw)) => raw.len(),
                        Slot::Owned(_) => 256,
                    }
            })
            .sum();
        values + 2
    }
}

/// Lists and dictionaries become spans of `src` (their raw bytes lie inside it); integers and
/// strings are small once re-encoded and are copied.
fn slot_of(v: &Value<'_>, src: &[u8]) -> Slot {
    let raw: Option<&[u8]> = match v {
        Value::List(_, raw) => Some(raw),
        Value::Dict(d) => Some(d.raw()),
        _ => None,
    };
    match raw.and_then(|raw| span_in(raw, src)) {
        Some(range) => Slot::Span(range),
        None => Slot::Owned(OwnedValue::Raw(v.raw().into_owned())),
    }
}

/// The range `part` occupies inside `whole`, if it is a sub-slice of it.
fn span_in(part: &[u8], whole: &[u8]) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= whole.len()).then_some(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict_of(input: &[u8]) -> RawDict {
        let v = decode(input, Limits::default()).unwrap();
        RawDict::from_dict(v.as_dict().unwrap(), input).with_source(input.to_vec())
    }

    #[test]
    fn unedited_round_trip_keeps_order_and_duplicates() {
        let input = b"d1:bi1e1:ai2e1:bi3e1:ld1:xi1eee";
        assert_eq!(dict_of(input).to_bytes(), input.to_vec());
    }

    #[test]
    fn containers_are_spans_and_scalars_are_copies() {
        let input = b"d1:ali1ei2ee1:b3:xyze";
        let d = dict_of(input);
        assert_eq!(d.entries[0].1, Slot::Span(4..12));
        assert_eq!(d.raw_slice(b"a"), Some(&b"li1ei2ee"[..]));
        assert_eq!(d.raw_slice(b"b"), Some(&b"3:xyz"[..]));
        assert_eq!(d.get_owned(b"a"), Some(OwnedValue::Raw(b"li1ei2ee".to_vec())));
        assert_eq!(span_in(b"elsewhere", input), None);
    }

    #[test]
    fn set_replaces_first_and_drops_duplicates() {
        let mut d = dict_of(b"d1:bi1e1:ai2e1:bi3ee");
        d.set(b"b", OwnedValue::Int(9));
        assert_eq!(d.to_bytes(), b"d1:bi9e1:ai2ee".to_vec());
        assert_eq!(d.encoded(b"b").as_deref(), Some(&b"i9e"[..]));
        assert_eq!(d.raw_slice(b"b"), None);
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
