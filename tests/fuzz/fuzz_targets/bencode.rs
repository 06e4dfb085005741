//! Bencode decoding of arbitrary bytes: never a panic; whatever decodes re-encodes to a
//! document that decodes to the same value.
#![no_main]
use bitgocho::bencode::{decode, encode, Limits};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = decode(data, Limits { require_sorted_keys: true, ..Limits::default() });
    if let Ok(value) = decode(data, Limits::default()) {
        let owned = value.to_owned();
        let again = encode(&owned);
        let back = decode(&again, Limits::default()).expect("our own encoding decodes");
        assert_eq!(back.to_owned(), owned, "re-encoded value differs");
    }
});
