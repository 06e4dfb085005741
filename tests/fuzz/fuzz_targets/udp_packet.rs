//! Fuzzes the BEP 15 datagram parser and reply writers.
#![no_main]

use bitgocho::tracker::udp_protocol::{parse_request, write_error, UdpParseError, UdpRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    match parse_request(data) {
        Ok(req) => {
            let tx = req.transaction_id();
            assert_eq!(tx.to_be_bytes(), data[12..16]);
            if let UdpRequest::Scrape { hashes, .. } = req {
                assert!(!hashes.is_empty() && hashes.len() % 20 == 0);
            }
        }
        Err(UdpParseError::Sendable { transaction_id, message }) => write_error(&mut out, transaction_id, message),
        Err(UdpParseError::Unsendable) => assert!(data.len() < 16),
    }
});
