//! Aggregation, sans I/O (§4.9): `--aggregator 1|<password>` makes this tracker a statistics
//! aggregator (announces are counted, replies are `{"response": "OK"}` without peers, no NAT
//! checks; with a password, announces must carry `password=<it>`), and `--aggregate_forward
//! <url>[,<password>]` copies every non-T2T announce's query to an aggregator. Forwards wait in
//! a bounded queue for the I/O driver; when it is full the oldest are dropped and counted.

use super::config::ConfigError;
use super::query::percent_decode;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

/// Most forwards waiting for the driver.
pub const FORWARD_QUEUE_CAP: usize = 4096;
/// Longest announce query forwarded (longer ones are not forwarded).
pub const MAX_FORWARD_QUERY: usize = 4096;

/// What `--aggregator` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AggregatorMode {
    /// A normal tracker (`0` or empty).
    Off,
    /// An aggregator open to anyone (`1`).
    Open,
    /// An aggregator that wants this `password` on every announce.
    Password(String),
}

impl AggregatorMode {
    /// Reads the option value.
    pub fn parse(value: &str) -> AggregatorMode {
        match value {
            "" | "0" => AggregatorMode::Off,
            "1" => AggregatorMode::Open,
            pw => AggregatorMode::Password(pw.to_string()),
        }
    }

    /// True when this tracker is an aggregator.
    pub fn is_on(&self) -> bool {
        *self != AggregatorMode::Off
    }

    /// True when an announce carrying `password` (raw, still percent-encoded) may be counted.
    pub fn admits(&self, password: Option<&[u8]>) -> bool {
        match self {
            AggregatorMode::Off | AggregatorMode::Open => true,
            AggregatorMode::Password(want) => {
                let Some(raw) = password else { return false };
                let mut buf = [0u8; 256];
                matches!(percent_decode(raw, &mut buf, "password"), Ok(n) if &buf[..n] == want.as_bytes())
            }
        }
    }
}

/// Where announces are forwarded (`--aggregate_forward url[,password]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardTarget {
    /// The aggregator's announce URL.
    pub url: String,
    /// The password appended to each forward, if any.
    pub password: Option<String>,
}

impl ForwardTarget {
    /// Reads the option value; `None` when empty. Only `http://` URLs are accepted.
    pub fn parse(value: &str) -> Result<Option<ForwardTarget>, ConfigError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(None);
        }
        let (url, password) = match value.split_once(',') {
            Some((u, p)) => (u.trim(), Some(p.to_string())),
            None => (value, None),
        };
        if !url.starts_with("http://") || url.len() <= "http://".len() {
            return Err(ConfigError::InvalidValue {
                key: "aggregate_forward".into(),
                value: value.to_string(),
                expected: "http://host[:port]/path[,password]",
            });
        }
        Ok(Some(ForwardTarget { url: url.to_string(), password }))
    }

    /// The URL forwarding one announce's raw `query` (its own `password` dropped).
    pub fn url_for(&self, query: &[u8]) -> Option<String> {
        if query.len() > MAX_FORWARD_QUERY {
            return None;
        }
        let query = std::str::from_utf8(query).ok()?;
        let mut url = String::with_capacity(self.url.len() + query.len() + 64);
        url.push_str(&self.url);
        let mut sep = if self.url.contains('?') { '&' } else { '?' };
        for pair in query.split('&').filter(|p| !p.is_empty() && !p.starts_with("password=")) {
            url.push(sep);
            url.push_str(pair);
            sep = '&';
        }
        if let Some(pw) = &self.password {
            url.push(sep);
            url.push_str("password=");
            crate::announce::url::percent_encode(pw.as_bytes(), &mut url);
        }
        Some(url)
    }
}

/// Forwards waiting for the I/O driver.
#[derive(Debug, Default)]
pub struct ForwardQueue {
    queue: Mutex<VecDeque<String>>,
    dropped: AtomicU64,
}

impl ForwardQueue {
    /// Queues one forward URL, dropping the oldest when full.
    pub fn push(&self, url: String) {
        let mut q = self.queue.lock();
        if q.len() >= FORWARD_QUEUE_CAP {
            q.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        q.push_back(url);
    }

    /// Takes up to `max` queued forwards, oldest first.
    pub fn take(&self, max: usize) -> Vec<String> {
        let mut q = self.queue.lock();
        let n = q.len().min(max);
        q.drain(..n).collect()
    }

    /// Forwards dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Forwards waiting.
    pub fn len(&self) -> usize {
        self.queue.lock().len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregator_passwords() {
        assert_eq!(AggregatorMode::parse("0"), AggregatorMode::Off);
        assert!(!AggregatorMode::parse("").is_on());
        let open = AggregatorMode::parse("1");
        assert!(open.is_on() && open.admits(None));
        let pw = AggregatorMode::parse("s3 cret");
        assert!(pw.admits(Some(b"s3%20cret")) && pw.admits(Some(b"s3 cret")));
        assert!(!pw.admits(None) && !pw.admits(Some(b"s3")) && !pw.admits(Some(b"s3%20cretX")));
        assert!(!pw.admits(Some(b"%zz")), "undecodable is refused");
    }

    #[test]
    fn forward_targets_and_urls() {
        assert_eq!(ForwardTarget::parse("").unwrap(), None);
        assert!(ForwardTarget::parse("udp://x:1").is_err());
        assert!(ForwardTarget::parse("http://").is_err());
        let t = ForwardTarget::parse("http://agg:81/announce,p w").unwrap().unwrap();
        assert_eq!(t.password.as_deref(), Some("p w"));
        assert_eq!(
            t.url_for(b"info_hash=%01&password=mine&port=1").unwrap(),
            "http://agg:81/announce?info_hash=%01&port=1&password=p%20w"
        );
        let bare = ForwardTarget::parse("http://agg/a?k=1").unwrap().unwrap();
        assert_eq!(bare.url_for(b"left=0").unwrap(), "http://agg/a?k=1&left=0");
        assert_eq!(bare.url_for(&vec![b'a'; MAX_FORWARD_QUERY + 1]), None);
    }

    #[test]
    fn the_queue_is_bounded() {
        let q = ForwardQueue::default();
        for i in 0..FORWARD_QUEUE_CAP + 3 {
            q.push(format!("u{i}"));
        }
        assert_eq!((q.len(), q.dropped()), (FORWARD_QUEUE_CAP, 3));
        assert_eq!(q.take(2), vec!["u3".to_string(), "u4".to_string()]);
        assert_eq!(q.len(), FORWARD_QUEUE_CAP - 2);
    }
}
