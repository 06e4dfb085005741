//! Decoded values: [`Value`] borrows from the input, [`OwnedValue`] is built for encoding.

use std::collections::BTreeMap;

/// A decoded bencode value that borrows from the input buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// An integer (`i42e`).
    Int(i64),
    /// A byte string (`4:spam`), borrowed from the input.
    Bytes(&'a [u8]),
    /// A list, with the raw bytes it was decoded from.
    List(Vec<Value<'a>>, &'a [u8]),
    /// A dictionary.
    Dict(Dict<'a>),
}

/// A decoded dictionary: its entries in input order, its raw bytes and whether the keys were
/// strictly increasing (sorted, no duplicates) as the specification requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dict<'a> {
    entries: Vec<(&'a [u8], Value<'a>)>,
    raw: &'a [u8],
    sorted: bool,
}

impl<'a> Dict<'a> {
    pub(crate) fn new(entries: Vec<(&'a [u8], Value<'a>)>, raw: &'a [u8], sorted: bool) -> Self {
        Dict { entries, raw, sorted }
    }

    /// The value of `key`; with duplicate keys, the first one.
    pub fn get(&self, key: &[u8]) -> Option<&Value<'a>> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The entries in the order they appeared in the input.
    pub fn entries(&self) -> &[(&'a [u8], Value<'a>)] {
        &self.entries
    }

    /// The exact bytes this dictionary was decoded from (`d...e`).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// True when the keys were strictly increasing, as canonical bencode requires.
    pub fn is_sorted(&self) -> bool {
        self.sorted
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the dictionary has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of `key` as an integer.
    pub fn get_int(&self, key: &[u8]) -> Option<i64> {
        self.get(key).and_then(Value::as_int)
    }

    /// The value of `key` as a byte string.
    pub fn get_bytes(&self, key: &[u8]) -> Option<&'a [u8]> {
        self.get(key).and_then(Value::as_bytes)
    }

    /// The value of `key` as a UTF-8 string.
    pub fn get_str(&self, key: &[u8]) -> Option<&'a str> {
        self.get(key).and_then(Value::as_str)
    }

    /// The value of `key` as a list.
    pub fn get_list(&self, key: &[u8]) -> Option<&[Value<'a>]> {
        self.get(key).and_then(Value::as_list)
    }

    /// The value of `key` as a dictionary.
    pub fn get_dict(&self, key: &[u8]) -> Option<&Dict<'a>> {
        self.get(key).and_then(Value::as_dict)
    }

    /// Copies the dictionary into an [`OwnedValue::Dict`], every value kept as its raw bytes so
    /// that re-encoding reproduces them exactly.
    pub fn to_owned_raw(&self) -> BTreeMap<Vec<u8>, OwnedValue> {
        self.entries
            .iter()
            .rev() // so that the first of duplicate keys wins
            .map(|(k, v)| (k.to_vec(), OwnedValue::Raw(v.raw().to_vec())))
            .collect()
    }
}

impl<'a> Value<'a> {
    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The byte string, if this is one.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The byte string as UTF-8, if this is a byte string holding valid UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The list items, if this is a list.
    pub fn as_list(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::List(items, _) => Some(items),
            _ => None,
        }
    }

    /// The dictionary, if this is one.
    pub fn as_dict(&self) -> Option<&Dict<'a>> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// The exact bytes this value was decoded from, when known. Integers and strings are
    /// re-encoded (their encoding is unique once decoding was strict).
    pub fn raw(&self) -> std::borrow::Cow<'a, [u8]> {
        match self {
            Value::List(_, raw) => std::borrow::Cow::Borrowed(raw),
            Value::Dict(d) => std::borrow::Cow::Borrowed(d.raw),
            other => std::borrow::Cow::Owned(crate::bencode::encode(&other.to_owned())),
        }
    }

    /// A deep copy as an [`OwnedValue`] (dictionaries re-sorted on encoding).
    pub fn to_owned(&self) -> OwnedValue {
        match self {
            Value::Int(i) => OwnedValue::Int(*i),
            Value::Bytes(b) => OwnedValue::Bytes(b.to_vec()),
            Value::List(items, _) => OwnedValue::List(items.iter().map(Value::to_owned).collect()),
            Value::Dict(d) => {
                OwnedValue::Dict(d.entries.iter().rev().map(|(k, v)| (k.to_vec(), v.to_owned())).collect())
            }
        }
    }
}

/// A bencode value built in memory for encoding. Dictionary keys are kept sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedValue {
    /// An integer.
    Int(i64),
    /// A byte string.
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<OwnedValue>),
    /// A dictionary; keys sorted by the map.
    Dict(BTreeMap<Vec<u8>, OwnedValue>),
    /// Bytes that are already bencoded, written out unchanged.
    Raw(Vec<u8>),
}

impl OwnedValue {
    /// A byte string from anything byte-like.
    pub fn bytes(b: impl AsRef<[u8]>) -> Self {
        OwnedValue::Bytes(b.as_ref().to_vec())
    }

    /// A list of byte strings.
    pub fn str_list<S: AsRef<[u8]>>(items: impl IntoIterator<Item = S>) -> Self {
        OwnedValue::List(items.into_iter().map(OwnedValue::bytes).collect())
    }
}
