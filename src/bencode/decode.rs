//! Strict bencode decoding of untrusted input.

use super::value::{Dict, Value};

/// Bounds applied while decoding untrusted input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of lists and dictionaries accepted (libtorrent: 100).
    pub max_depth: usize,
    /// Most values (integers, strings, lists, dictionaries) accepted in one document.
    pub max_tokens: usize,
    /// Reject dictionaries whose keys are not strictly increasing (unsorted or duplicated).
    pub require_sorted_keys: bool,
}

impl Default for Limits {
    /// Depth 100, 3,000,000 values, key order not enforced (as libtorrent loads .torrent files).
    fn default() -> Self {
        Limits { max_depth: 100, max_tokens: 3_000_000, require_sorted_keys: false }
    }
}

impl Limits {
    /// Limits for protocol messages whose dictionaries must be canonical.
    pub fn strict() -> Self {
        Limits { require_sorted_keys: true, ..Limits::default() }
    }
}

/// What went wrong while decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The input ended inside a value.
    UnexpectedEof,
    /// A byte that cannot start or continue a value here.
    UnexpectedByte(u8),
    /// An integer with no digits, a leading zero, `-0`, or a non-digit.
    InvalidInteger,
    /// An integer that does not fit in 64 bits.
    IntegerOverflow,
    /// A string length with a leading zero, no digits, or too large for the input.
    InvalidStringLength,
    /// A dictionary key that is not a byte string.
    NonStringKey,
    /// Dictionary keys not strictly increasing (only with `require_sorted_keys`).
    UnsortedKeys,
    /// Nesting deeper than [`Limits::max_depth`].
    DepthExceeded,
    /// More values than [`Limits::max_tokens`].
    TooManyTokens,
    /// Bytes left after the top-level value.
    TrailingData,
}

/// A decoding failure and the byte offset where it was detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid bencoding at byte {offset}: {kind}")]
pub struct DecodeError {
    /// What went wrong.
    pub kind: DecodeErrorKind,
    /// Offset into the input.
    pub offset: usize,
}

impl std::fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeErrorKind::UnexpectedEof => f.write_str("unexpected end of input"),
            DecodeErrorKind::UnexpectedByte(b) => write!(f, "unexpected byte 0x{b:02x}"),
            DecodeErrorKind::InvalidInteger => f.write_str("malformed integer"),
            DecodeErrorKind::IntegerOverflow => f.write_str("integer out of 64-bit range"),
            DecodeErrorKind::InvalidStringLength => f.write_str("malformed string length"),
            DecodeErrorKind::NonStringKey => f.write_str("dictionary key is not a string"),
            DecodeErrorKind::UnsortedKeys => f.write_str("dictionary keys not sorted or duplicated"),
            DecodeErrorKind::DepthExceeded => f.write_str("nesting too deep"),
            DecodeErrorKind::TooManyTokens => f.write_str("too many values"),
            DecodeErrorKind::TrailingData => f.write_str("trailing data after the value"),
        }
    }
}

/// Decodes exactly one value that must span the whole input.
pub fn decode(input: &[u8], limits: Limits) -> Result<Value<'_>, DecodeError> {
    let (value, used) = decode_prefix(input, limits)?;
    if used != input.len() {
        return Err(DecodeError { kind: DecodeErrorKind::TrailingData, offset: used });
    }
    Ok(value)
}

/// Decodes one value from the start of the input; returns it and the number of bytes used.
pub fn decode_prefix(input: &[u8], limits: Limits) -> Result<(Value<'_>, usize), DecodeError> {
    let mut d = Decoder { input, pos: 0, tokens: 0, limits };
    let v = d.value(0)?;
    Ok((v, d.pos))
}

struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    tokens: usize,
    limits: Limits,
}

impl<'a> Decoder<'a> {
    fn err<T>(&self, kind: DecodeErrorKind) -> Result<T, DecodeError> {
        Err(DecodeError { kind, offset: self.pos })
    }

    fn peek(&self) -> Result<u8, DecodeError> {
        match self.input.get(self.pos) {
            Some(b) => Ok(*b),
            None => self.err(DecodeErrorKind::UnexpectedEof),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, DecodeError> {
        self.tokens += 1;
        if self.tokens > self.limits.max_tokens {
            return self.err(DecodeErrorKind::TooManyTokens);
        }
        match self.peek()? {
            b'i' => self.int().map(Value::Int),
            b'0'..=b'9' => self.bytes().map(Value::Bytes),
            b'l' => self.list(depth),
            b'd' => self.dict(depth),
            other => self.err(DecodeErrorKind::UnexpectedByte(other)),
        }
    }

    fn enter(&self, depth: usize) -> Result<usize, DecodeError> {
        if depth >= self.limits.max_depth {
            return self.err(DecodeErrorKind::DepthExceeded);
        }
        Ok(depth + 1)
    }

    fn int(&mut self) -> Result<i64, DecodeError> {
        self.pos += 1; // 'i'
        let start = self.pos;
        let end = match self.input[start..].iter().position(|&b| b == b'e') {
            Some(n) => start + n,
            None => {
                self.pos = self.input.len();
                return self.err(DecodeErrorKind::UnexpectedEof);
            }
        };
        let value = parse_int(&self.input[start..end]).map_err(|kind| DecodeError { kind, offset: start })?;
        self.pos = end + 1;
        Ok(value)
    }

    fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let start = self.pos;
        let colon = match self.input[start..].iter().take(21).position(|&b| b == b':') {
            Some(n) => start + n,
            None if self.input.len() - start <= 20 => {
                self.pos = self.input.len();
                return self.err(DecodeErrorKind::UnexpectedEof);
            }
            None => return self.err(DecodeErrorKind::InvalidStringLength),
        };
        let digits = &self.input[start..colon];
        let len = parse_len(digits).ok_or(DecodeError { kind: DecodeErrorKind::InvalidStringLength, offset: start })?;
        let data_start = colon + 1;
        let available = self.input.len() - data_start;
        if len > available {
            return Err(DecodeError { kind: DecodeErrorKind::UnexpectedEof, offset: self.input.len() });
        }
        self.pos = data_start + len;
        Ok(&self.input[data_start..self.pos])
    }

    fn list(&mut self, depth: usize) -> Result<Value<'a>, DecodeError> {
        let depth = self.enter(depth)?;
        let start = self.pos;
        self.pos += 1; // 'l'
        let mut items = Vec::new();
        while self.peek()? != b'e' {
            items.push(self.value(depth)?);
        }
        self.pos += 1;
        Ok(Value::List(items, &self.input[start..self.pos]))
    }

    fn dict(&mut self, depth: usize) -> Result<Value<'a>, DecodeError> {
        let depth = self.enter(depth)?;
        let start = self.pos;
        self.pos += 1; // 'd'
        let mut entries: Vec<(&'a [u8], Value<'a>)> = Vec::new();
        let mut sorted = true;
        while self.peek()? != b'e' {
            if !self.peek()?.is_ascii_digit() {
                return self.err(DecodeErrorKind::NonStringKey);
            }
            let key_offset = self.pos;
            let key = self.bytes()?;
            if let Some((prev, _)) = entries.last() {
                if *prev >= key {
                    sorted = false;
                    if self.limits.require_sorted_keys {
                        return Err(DecodeError { kind: DecodeErrorKind::UnsortedKeys, offset: key_offset });
                    }
                }
            }
            let value = self.value(depth)?;
            entries.push((key, value));
        }
        self.pos += 1;
        Ok(Value::Dict(Dict::new(entries, &self.input[start..self.pos], sorted)))
    }
}

/// Parses the digits of an integer: optional `-`, no leading zeros, no `-0`, checked range.
fn parse_int(text: &[u8]) -> Result<i64, DecodeErrorKind> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(DecodeErrorKind::InvalidInteger);
    }
    if digits[0] == b'0' && (digits.len() > 1 || negative) {
        return Err(DecodeErrorKind::InvalidInteger);
    }
    let mut value: i64 = 0;
    for &d in digits {
        let digit = i64::from(d - b'0');
        value = value.checked_mul(10).ok_or(DecodeErrorKind::IntegerOverflow)?;
        value = if negative { value.checked_sub(digit) } else { value.checked_add(digit) }
            .ok_or(DecodeErrorKind::IntegerOverflow)?;
    }
    Ok(value)
}

/// Parses a string length: digits only, no leading zero (except `0` itself).
fn parse_len(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || (digits[0] == b'0' && digits.len() > 1) {
        return None;
    }
    let mut len: usize = 0;
    for &d in digits {
        len = len.checked_mul(10)?.checked_add(usize::from(d - b'0'))?;
    }
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(input: &[u8]) -> DecodeErrorKind {
        decode(input, Limits::strict()).unwrap_err().kind
    }

    #[test]
    fn integers() {
        assert_eq!(decode(b"i0e", Limits::default()).unwrap(), Value::Int(0));
        assert_eq!(decode(b"i-42e", Limits::default()).unwrap(), Value::Int(-42));
        assert_eq!(decode(b"i9223372036854775807e", Limits::default()).unwrap(), Value::Int(i64::MAX));
        assert_eq!(decode(b"i-9223372036854775808e", Limits::default()).unwrap(), Value::Int(i64::MIN));
        assert_eq!(kind(b"i9223372036854775808e"), DecodeErrorKind::IntegerOverflow);
        assert_eq!(kind(b"i99999999999999999999999999e"), DecodeErrorKind::IntegerOverflow);
        assert_eq!(kind(b"i-0e"), DecodeErrorKind::InvalidInteger);
        assert_eq!(kind(b"i03e"), DecodeErrorKind::InvalidInteger);
        assert_eq!(kind(b"ie"), DecodeErrorKind::InvalidInteger);
        assert_eq!(kind(b"i-e"), DecodeErrorKind::InvalidInteger);
        assert_eq!(kind(b"i1.5e"), DecodeErrorKind::InvalidInteger);
        assert_eq!(kind(b"i12"), DecodeErrorKind::UnexpectedEof);
    }

    #[test]
    fn strings_borrow_the_input() {
        let input = b"4:spam".to_vec();
        let v = decode(&input, Limits::default()).unwrap();
        let b = v.as_bytes().unwrap();
        assert_eq!(b, b"spam");
        assert_eq!(b.as_ptr(), input[2..].as_ptr());
        assert_eq!(decode(b"0:", Limits::default()).unwrap(), Value::Bytes(b""));
        assert_eq!(kind(b"5:spam"), DecodeErrorKind::UnexpectedEof);
        assert_eq!(kind(b"04:spam"), DecodeErrorKind::InvalidStringLength);
        assert_eq!(kind(b"99999999999999999999999:x"), DecodeErrorKind::InvalidStringLength);
        assert_eq!(kind(b"18446744073709551616:x"), DecodeErrorKind::InvalidStringLength);
    }

    #[test]
    fn dict_spans_and_order() {
        let input = b"d4:infod1:ai1ee3:zzzi2ee";
        let v = decode(input, Limits::strict()).unwrap();
        let d = v.as_dict().unwrap();
        assert_eq!(d.get_dict(b"info").unwrap().raw(), b"d1:ai1ee");
        assert_eq!(d.raw(), &input[..]);
        assert!(d.is_sorted());
        assert_eq!(kind(b"d1:bi1e1:ai2ee"), DecodeErrorKind::UnsortedKeys);
        assert_eq!(kind(b"d1:ai1e1:ai2ee"), DecodeErrorKind::UnsortedKeys);
        let lenient = decode(b"d1:bi1e1:ai2ee", Limits::default()).unwrap();
        assert!(!lenient.as_dict().unwrap().is_sorted());
        assert_eq!(kind(b"di1ei2ee"), DecodeErrorKind::NonStringKey);
    }

    #[test]
    fn limits() {
        let deep = [b"l".repeat(200), b"e".repeat(200)].concat();
        assert_eq!(kind(&deep), DecodeErrorKind::DepthExceeded);
        let ok = [b"l".repeat(100), b"e".repeat(100)].concat();
        assert!(decode(&ok, Limits::default()).is_ok());
        let many = [b"l".to_vec(), b"i1e".repeat(10), b"e".to_vec()].concat();
        let small = Limits { max_tokens: 5, ..Limits::default() };
        assert_eq!(decode(&many, small).unwrap_err().kind, DecodeErrorKind::TooManyTokens);
        assert_eq!(kind(b"i1ei2e"), DecodeErrorKind::TrailingData);
        assert_eq!(kind(b""), DecodeErrorKind::UnexpectedEof);
        assert_eq!(kind(b"x"), DecodeErrorKind::UnexpectedByte(b'x'));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let doc =
            b"d8:announce3:url4:infod6:lengthi12345e4:name3:foo12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee";
        assert!(decode(doc, Limits::strict()).is_ok());
        for n in 0..doc.len() {
            assert!(decode(&doc[..n], Limits::strict()).is_err(), "prefix {n} accepted");
        }
    }
}
