//! Checking a web seed's reply against what was asked: the status (206 with a matching
//! `Content-Range` for a BEP 19 range, 200 with exactly the bytes asked for BEP 17), the body
//! length, and a busy server's 503 with its retry delay (BEP 17: the body is the number of
//! seconds; BEP 19 servers use `Retry-After`).

use super::plan::{Part, Source};
use super::WebSeedError;
use std::time::Duration;

/// Shortest wait after a 503, as BitTornado.
pub const MIN_BUSY_RETRY: Duration = Duration::from_secs(5);
/// Longest wait a server may ask for.
pub const MAX_BUSY_RETRY: Duration = Duration::from_secs(3600);

/// A complete HTTP reply as the fetcher hands it over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// The `Content-Range` header, if any.
    pub content_range: Option<String>,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// Parses `bytes first-last/total` (total may be `*`) into inclusive bounds and the total.
pub fn parse_content_range(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (span, total) = rest.split_once('/')?;
    let (first, last) = span.trim().split_once('-')?;
    let (first, last) = (first.trim().parse::<u64>().ok()?, last.trim().parse::<u64>().ok()?);
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse::<u64>().ok()?),
    };
    (first <= last && total.is_none_or(|t| last < t)).then_some((first, last, total))
}

/// The delay a busy (503) reply asks for: `Retry-After` seconds, else a BEP 17 body holding an
/// integer, else the minimum; clamped to `MIN_BUSY_RETRY..=MAX_BUSY_RETRY`.
pub fn busy_retry(reply: &Reply) -> Duration {
    let from_text = |t: &str| t.trim().parse::<u64>().ok();
    let secs = reply
        .retry_after
        .as_deref()
        .and_then(from_text)
        .or_else(|| std::str::from_utf8(&reply.body).ok().and_then(from_text))
        .unwrap_or(0);
    Duration::from_secs(secs).clamp(MIN_BUSY_RETRY, MAX_BUSY_RETRY)
}

/// Checks `reply` answers `part`; `Ok` means its body is exactly the part's bytes.
pub fn check(part: &Part, reply: &Reply) -> Result<(), WebSeedError> {
    let Source::Http { url, range } = &part.source else { return Ok(()) };
    let got = reply.body.len() as u64;
    let expected = u64::from(part.len);
    if reply.status == 503 {
        return Err(WebSeedError::Busy { retry: busy_retry(reply) });
    }
    match (range, reply.status) {
        (None, 200) => {}
        (Some((first, last)), 206) => {
            let header = reply.content_range.clone().unwrap_or_default();
            match parse_content_range(&header) {
                Some((a, b, _)) if a == *first && b == *last => {}
                _ => return Err(WebSeedError::Range { first: *first, last: *last, got: header }),
            }
        }
        // A server that ignores Range sends the whole file: usable when that is what we asked.
        (Some((0, _)), 200) => {}
        (_, status) => return Err(WebSeedError::Status { status, url: url.clone() }),
    }
    if got != expected {
        return Err(WebSeedError::Length { expected, got });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(range: Option<(u64, u64)>, len: u32) -> Part {
        Part { source: Source::Http { url: "http://h/f".into(), range }, offset: 0, len }
    }

    fn reply(status: u16, range: Option<&str>, body: &[u8]) -> Reply {
        Reply { status, content_range: range.map(str::to_string), retry_after: None, body: body.to_vec() }
    }

    #[test]
    fn content_range_forms() {
        assert_eq!(parse_content_range("bytes 0-99/1000"), Some((0, 99, Some(1000))));
        assert_eq!(parse_content_range(" bytes  5-5/*"), Some((5, 5, None)));
        assert_eq!(parse_content_range("bytes 10-9/100"), None);
        assert_eq!(parse_content_range("bytes 0-100/100"), None, "past the end");
        assert_eq!(parse_content_range("bytes */100"), None, "unsatisfied form");
        assert_eq!(parse_content_range("items 0-1/2"), None);
        assert_eq!(parse_content_range("bytes 0-x/2"), None);
    }

    #[test]
    fn range_replies_must_match_exactly() {
        let p = part(Some((100, 103)), 4);
        assert_eq!(check(&p, &reply(206, Some("bytes 100-103/500"), b"abcd")), Ok(()));
        assert!(matches!(check(&p, &reply(206, Some("bytes 100-104/500"), b"abcd")), Err(WebSeedError::Range { .. })));
        assert!(matches!(check(&p, &reply(206, None, b"abcd")), Err(WebSeedError::Range { .. })));
        assert_eq!(
            check(&p, &reply(206, Some("bytes 100-103/500"), b"abc")),
            Err(WebSeedError::Length { expected: 4, got: 3 })
        );
        assert!(matches!(check(&p, &reply(200, None, b"abcd")), Err(WebSeedError::Status { status: 200, .. })));
        assert!(matches!(check(&p, &reply(404, None, b"")), Err(WebSeedError::Status { status: 404, .. })));
        // A 200 with the whole file is fine when the whole file was asked.
        assert_eq!(check(&part(Some((0, 3)), 4), &reply(200, None, b"abcd")), Ok(()));
        assert!(check(&part(Some((0, 3)), 4), &reply(200, None, b"abcdef")).is_err());
    }

    #[test]
    fn http_seed_replies_and_busy_delays() {
        let p = part(None, 3);
        assert_eq!(check(&p, &reply(200, None, b"xyz")), Ok(()));
        assert_eq!(check(&p, &reply(200, None, b"xy")), Err(WebSeedError::Length { expected: 3, got: 2 }));
        assert_eq!(check(&p, &reply(503, None, b"30")), Err(WebSeedError::Busy { retry: Duration::from_secs(30) }));
        assert_eq!(busy_retry(&reply(503, None, b"1")), MIN_BUSY_RETRY);
        assert_eq!(busy_retry(&reply(503, None, b"junk")), MIN_BUSY_RETRY);
        assert_eq!(busy_retry(&reply(503, None, b"99999999")), MAX_BUSY_RETRY);
        let with_header = Reply { retry_after: Some("12".into()), ..reply(503, None, b"") };
        assert_eq!(busy_retry(&with_header), Duration::from_secs(12));
        assert_eq!(check(&Part { source: Source::Zeros, offset: 0, len: 9 }, &reply(0, None, b"")), Ok(()));
    }
}
