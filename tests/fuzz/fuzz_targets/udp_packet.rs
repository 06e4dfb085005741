//! Fuzzes the BEP 15 datagram parser and reply writers, and the whole UDP path of the tracker
//! core (connection ids, announce, scrape) with the same bytes.
#![no_main]

use bitgocho::tracker::handler::UdpHandler;
use bitgocho::tracker::udp_protocol::{parse_request, write_error, UdpParseError, UdpRequest};
use bitgocho::tracker::{Tracker, TrackerConfig};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn tracker() -> &'static Tracker {
    static TRACKER: OnceLock<Tracker> = OnceLock::new();
    TRACKER.get_or_init(|| {
        let mut config = TrackerConfig::default();
        config.set("nat_check", "0").unwrap();
        config.set("rng_seed", "1").unwrap();
        Tracker::new(config).unwrap()
    })
}

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
    out.clear();
    let peer = "10.1.2.3:6881".parse().unwrap();
    if tracker().handle_udp(data, peer, &mut out) {
        assert!(out.len() >= 8, "reply shorter than a header");
        assert_eq!(out[4..8], data[12..16], "reply carries another transaction id");
    }
});
