//! Fuzzes the HTTP request path: bytes cut into reads at fuzzer-chosen points go through the
//! front's connection state machine (httparse, limits, pipelining, framing, gzip, web log)
//! into the real tracker core (target and query parsing, announce, scrape, info page), and
//! separately through the core's announce-query parser alone.
#![no_main]

use bitgocho::tracker::front::http_conn::{ConnContext, ConnLimits, HttpConn};
use bitgocho::tracker::front::LogBuffer;
use bitgocho::tracker::handler::{HttpHandler, HttpRequest, HttpResponse};
use bitgocho::tracker::query::{split_target, AnnounceParams};
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

struct QueryHandler;

impl HttpHandler for QueryHandler {
    fn handle_http(&self, r: &HttpRequest<'_>) -> HttpResponse {
        let (path, query) = split_target(r.target);
        let mut body = path.to_vec();
        if let Ok(p) = AnnounceParams::parse(query) {
            if let Ok(Some(hash)) = p.info_hash() {
                let _ = p.validate(hash);
                body.extend_from_slice(&hash);
            }
        }
        body.extend(std::iter::repeat_n(b'x', query.len() % 300));
        HttpResponse::new(200, "OK", "text/plain", body)
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let step = usize::from(data[0] >> 1) + 1;
    let handler: &dyn HttpHandler = if data[0] & 1 == 0 { tracker() } else { &QueryHandler };
    let data = &data[1..];
    let limits = ConnLimits { max_request: 512, output_cap: 2048 };
    let mut conn = HttpConn::new("127.0.0.1:6881".parse().unwrap(), limits);
    let mut gz = Vec::new();
    let mut log = LogBuffer::new();
    let mut ctx = ConnContext { handler, log: Some(&mut log), unix_now: 0, gzip_scratch: &mut gz };
    let mut pos = 0;
    while pos < data.len() && !conn.is_done() {
        let budget = conn.read_budget();
        if budget == 0 {
            let n = conn.pending_output();
            assert!(n > 0, "reading stopped with no output pending");
            conn.consume(n);
            conn.resume(&mut ctx);
            continue;
        }
        let end = (pos + step.min(budget)).min(data.len());
        conn.on_data(&data[pos..end], &mut ctx);
        pos = end;
        assert!(conn.pending_output() <= limits.output_cap + 8192);
    }
    conn.on_eof(&mut ctx);
});
