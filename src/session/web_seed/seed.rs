//! One web seed's state machine, sans-I/O: ready (possibly not before some time), fetching a span
//! of the torrent's bytes part by part, or banned. Failures back off as BitTornado's HTTP seeds do (a
//! retry period, growing after three failures in a row; a busy server's own delay); a seed that
//! served data failing the hash check is banned for good.

use super::plan::{Part, Source};
use super::reply::{check, Reply};
use super::url::SeedKind;
use super::WebSeedError;
use std::time::{Duration, Instant};

/// Timing of a web seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedConfig {
    /// Wait after a failure (BitTornado: 30 s).
    pub retry: Duration,
    /// Longest wait after failures in a row.
    pub max_retry: Duration,
    /// A request is abandoned when no byte arrived for this long.
    pub idle_timeout: Duration,
}

impl Default for SeedConfig {
    fn default() -> Self {
        SeedConfig {
            retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(3600),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

/// What the driver must do next for a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send a GET for `url`, with `Range: bytes=first-last` when `range` is set, expecting a
    /// body of `len` bytes.
    Request {
        /// The URL.
        url: String,
        /// Inclusive file byte range (BEP 19).
        range: Option<(u64, u64)>,
        /// The body length expected.
        len: u32,
    },
    /// The span is complete: `data` holds its bytes.
    Done {
        /// Offset of `data` in the torrent's bytes.
        offset: u64,
        /// The bytes.
        data: Vec<u8>,
    },
}

#[derive(Debug)]
struct Fetch {
    offset: u64,
    parts: Vec<Part>,
    next: usize,
    buf: Vec<u8>,
}

#[derive(Debug)]
enum Phase {
    Ready { at: Instant },
    Fetching(Fetch),
    Banned,
}

/// One web seed of a torrent.
#[derive(Debug)]
pub struct WebSeed {
    /// Its URL as the metainfo gives it.
    pub url: String,
    /// BEP 17 or BEP 19.
    pub kind: SeedKind,
    /// Payload bytes it delivered.
    pub delivered: u64,
    /// Its last error.
    pub last_error: Option<WebSeedError>,
    /// Failures in a row.
    failures: u32,
    phase: Phase,
    config: SeedConfig,
}

impl WebSeed {
    /// A seed ready to fetch at `now`.
    pub fn new(url: String, kind: SeedKind, config: SeedConfig, now: Instant) -> WebSeed {
        WebSeed { url, kind, delivered: 0, last_error: None, failures: 0, phase: Phase::Ready { at: now }, config }
    }

    /// Its timing.
    pub fn config(&self) -> &SeedConfig {
        &self.config
    }

    /// Whether it may start a fetch now.
    pub fn is_ready(&self, now: Instant) -> bool {
        matches!(self.phase, Phase::Ready { at } if now >= at)
    }

    /// Whether it is working: fetching, or ready without a pending retry delay.
    pub fn is_working(&self, now: Instant) -> bool {
        match self.phase {
            Phase::Fetching(_) => true,
            Phase::Ready { at } => now >= at && self.failures == 0,
            Phase::Banned => false,
        }
    }

    /// Whether it was banned for corrupt data.
    pub fn is_banned(&self) -> bool {
        matches!(self.phase, Phase::Banned)
    }

    /// Where the span it is fetching starts, if it is fetching.
    pub fn fetching(&self) -> Option<u64> {
        match &self.phase {
            Phase::Fetching(f) => Some(f.offset),
            _ => None,
        }
    }

    /// When it may start again, if it waits.
    pub fn ready_at(&self) -> Option<Instant> {
        match self.phase {
            Phase::Ready { at } => Some(at),
            _ => None,
        }
    }

    /// Failures in a row.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Starts fetching the `len` torrent bytes at `offset` through `parts` (from
    /// [`super::plan::plan`]); returns the first request, or `Done` at once when no part needs
    /// the network. `None` when it cannot start (not ready, or no parts).
    pub fn start(&mut self, offset: u64, len: u32, parts: Vec<Part>, now: Instant) -> Option<Step> {
        if !self.is_ready(now) || parts.is_empty() {
            return None;
        }
        let buf = vec![0u8; len as usize];
        self.phase = Phase::Fetching(Fetch { offset, parts, next: 0, buf });
        Some(self.advance(now))
    }

    /// Skips parts that need no request; returns the next request or the finished span.
    fn advance(&mut self, now: Instant) -> Step {
        let Phase::Fetching(f) = &mut self.phase else { unreachable!("advance outside a fetch") };
        while let Some(part) = f.parts.get(f.next) {
            match &part.source {
                Source::Zeros => f.next += 1,
                Source::Http { url, range } => return Step::Request { url: url.clone(), range: *range, len: part.len },
            }
        }
        let Phase::Fetching(f) = std::mem::replace(&mut self.phase, Phase::Ready { at: now }) else {
            unreachable!("checked above")
        };
        self.failures = 0;
        self.delivered += f.buf.len() as u64;
        Step::Done { offset: f.offset, data: f.buf }
    }

    /// A reply to the current request arrived. Returns the next step, or the error, after which
    /// the seed waits (see [`WebSeed::fail`]) and the span is abandoned.
    pub fn on_reply(&mut self, reply: &Reply, now: Instant) -> Result<Step, WebSeedError> {
        let Phase::Fetching(f) = &mut self.phase else {
            return Err(WebSeedError::Network("reply while not fetching".into()));
        };
        let Some(part) = f.parts.get(f.next) else { return Err(WebSeedError::Network("no request pending".into())) };
        if let Err(e) = check(part, reply) {
            self.fail(e.clone(), now);
            return Err(e);
        }
        let at = part.offset as usize;
        f.buf[at..at + reply.body.len()].copy_from_slice(&reply.body);
        f.next += 1;
        Ok(self.advance(now))
    }

    /// The current fetch failed (or `err` came from the network): the span is abandoned and the
    /// seed waits, for a busy server as long as it asked, otherwise the retry period, multiplied
    /// by `failures - 2` after more than three failures in a row. Returns where the abandoned
    /// span started.
    pub fn fail(&mut self, err: WebSeedError, now: Instant) -> Option<u64> {
        let piece = self.fetching();
        if self.is_banned() {
            return piece;
        }
        let wait = match &err {
            WebSeedError::Busy { retry } => *retry,
            _ => {
                self.failures += 1;
                self.config.retry.saturating_mul(self.failures.saturating_sub(2).max(1)).min(self.config.max_retry)
            }
        };
        self.last_error = Some(err);
        self.phase = Phase::Ready { at: now + wait };
        piece
    }

    /// Abandons the current fetch without penalty (the torrent paused or no longer needs it):
    /// the seed is ready again at once. Returns where the abandoned span started.
    pub fn abort(&mut self, now: Instant) -> Option<u64> {
        let piece = self.fetching();
        if piece.is_some() {
            self.phase = Phase::Ready { at: now };
        }
        piece
    }

    /// The seed served corrupt data for `piece`: it is banned for good. Returns where the span it
    /// was fetching started, if any.
    pub fn ban(&mut self, piece: u32) -> Option<u64> {
        let fetching = self.fetching();
        self.last_error = Some(WebSeedError::Corrupt { piece });
        self.phase = Phase::Banned;
        fetching
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(url: &str, offset: u32, len: u32) -> Part {
        Part {
            source: Source::Http { url: url.into(), range: Some((u64::from(offset), u64::from(offset + len - 1))) },
            offset,
            len,
        }
    }

    fn ok(offset: u32, body: &[u8]) -> Reply {
        let last = offset as usize + body.len() - 1;
        Reply {
            status: 206,
            content_range: Some(format!("bytes {offset}-{last}/*")),
            retry_after: None,
            body: body.to_vec(),
        }
    }

    #[test]
    fn fetches_parts_in_order_and_fills_pads() {
        let t0 = Instant::now();
        let mut s = WebSeed::new("http://h/".into(), SeedKind::UrlSeed, SeedConfig::default(), t0);
        let parts = vec![http("a", 0, 2), Part { source: Source::Zeros, offset: 2, len: 2 }, http("b", 4, 3)];
        assert_eq!(s.start(5, 7, parts, t0), Some(Step::Request { url: "a".into(), range: Some((0, 1)), len: 2 }));
        assert_eq!(s.fetching(), Some(5));
        assert!(!s.is_ready(t0) && s.is_working(t0));
        assert_eq!(s.on_reply(&ok(0, b"ab"), t0), Ok(Step::Request { url: "b".into(), range: Some((4, 6)), len: 3 }));
        let done = s.on_reply(&ok(4, b"cde"), t0).unwrap();
        assert_eq!(done, Step::Done { offset: 5, data: b"ab\0\0cde".to_vec() });
        assert!(s.is_ready(t0));
        assert_eq!(s.delivered, 7);
        let zeros = vec![Part { source: Source::Zeros, offset: 0, len: 3 }];
        assert_eq!(s.start(9, 3, zeros, t0), Some(Step::Done { offset: 9, data: vec![0; 3] }));
        assert_eq!(s.start(9, 3, Vec::new(), t0), None);
    }

    #[test]
    fn failures_back_off_and_grow_after_three() {
        let t0 = Instant::now();
        let cfg = SeedConfig { retry: Duration::from_secs(10), ..SeedConfig::default() };
        let mut s = WebSeed::new("u".into(), SeedKind::UrlSeed, cfg, t0);
        let mut waits = Vec::new();
        for _ in 0..5 {
            let now = s.ready_at().unwrap();
            assert!(s.start(1, 2, vec![http("a", 0, 2)], now).is_some());
            let not_found = Reply { status: 404, ..Reply::default() };
            assert!(matches!(s.on_reply(&not_found, now), Err(WebSeedError::Status { status: 404, .. })));
            assert!(!s.is_ready(now) && !s.is_working(now));
            waits.push(s.ready_at().unwrap() - now);
        }
        let secs: Vec<u64> = waits.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, vec![10, 10, 10, 20, 30]);
        // A busy server sets its own delay without counting as a failure.
        let now = s.ready_at().unwrap();
        s.start(1, 2, vec![http("a", 0, 2)], now);
        let busy = Reply { status: 503, body: b"7".to_vec(), ..Reply::default() };
        assert!(matches!(s.on_reply(&busy, now), Err(WebSeedError::Busy { .. })));
        assert_eq!((s.ready_at().unwrap() - now, s.failures()), (Duration::from_secs(7), 5));
        // Success resets the count.
        let now = s.ready_at().unwrap();
        s.start(1, 2, vec![http("a", 0, 2)], now);
        assert!(matches!(s.on_reply(&ok(0, b"xy"), now), Ok(Step::Done { .. })));
        assert_eq!(s.failures(), 0);
    }

    #[test]
    fn network_failure_abandons_the_piece_and_ban_is_final() {
        let t0 = Instant::now();
        let mut s = WebSeed::new("u".into(), SeedKind::HttpSeed, SeedConfig::default(), t0);
        s.start(3, 2, vec![http("a", 0, 2)], t0);
        assert_eq!(s.fail(WebSeedError::Timeout(Duration::from_secs(30)), t0), Some(3));
        assert_eq!(s.fetching(), None);
        let later = t0 + Duration::from_secs(31);
        s.start(4, 2, vec![http("a", 0, 2)], later);
        assert_eq!(s.ban(2), Some(4));
        assert!(s.is_banned() && !s.is_ready(later + Duration::from_secs(9999)) && !s.is_working(later));
        assert_eq!(s.last_error, Some(WebSeedError::Corrupt { piece: 2 }));
        s.fail(WebSeedError::Network("x".into()), later);
        assert!(s.is_banned(), "a failure does not lift a ban");
        let mut s = WebSeed::new("u".into(), SeedKind::UrlSeed, SeedConfig::default(), t0);
        s.start(3, 2, vec![http("a", 0, 2)], t0);
        assert_eq!((s.abort(t0), s.is_ready(t0), s.failures()), (Some(3), true, 0));
    }
}
