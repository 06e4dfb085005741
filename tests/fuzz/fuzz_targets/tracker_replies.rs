//! What the engine parses from trackers: HTTP announce and scrape bodies, UDP replies, and the
//! HTTP/1.1 response itself (headers, chunked and gzip bodies). An error, never a panic.
#![no_main]
use bitgocho::announce::http_client::HttpExchange;
use bitgocho::announce::response::{AnnounceReply, ScrapeReply};
use bitgocho::announce::udp::parse_reply;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = AnnounceReply::parse(data);
    let _ = ScrapeReply::parse(data);
    for ipv6 in [false, true] {
        let tid = data.get(4..8).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        let _ = parse_reply(data, tid, ipv6);
    }
    if let Ok(mut exchange) = HttpExchange::new("http://127.0.0.1:6969/announce") {
        let _ = exchange.request("fuzz");
        for chunk in data.chunks(97) {
            if exchange.feed(chunk).is_err() {
                return;
            }
        }
        let _ = exchange.eof();
    }
});
