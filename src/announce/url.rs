//! Tracker URLs: the small subset of URL syntax trackers use, and percent-encoding of raw bytes.
//!
//! Tracker URLs are `http://`, `https://` or `udp://` with a host (name, IPv4 or `[IPv6]`), an
//! optional port and a path with an optional query. That subset is parsed here rather than
//! with a general URL crate (see docs/decisions.md).

/// A parsed tracker URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerUrl {
    /// `http`, `https` or `udp`, lower case.
    pub scheme: String,
    /// Host name or address, without brackets for IPv6.
    pub host: String,
    /// The port (scheme default when absent: 80, 443; required for udp).
    pub port: u16,
    /// Path and query, starting with `/` (`/` when absent).
    pub path_and_query: String,
}

/// Why a tracker URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Scheme other than http, https or udp.
    #[error("unsupported tracker URL scheme in {0:?}")]
    Scheme(String),
    /// Empty or malformed host.
    #[error("tracker URL has no valid host: {0:?}")]
    Host(String),
    /// Port not a number in 1..=65535 (or missing for udp).
    #[error("tracker URL has an invalid port: {0:?}")]
    Port(String),
}

impl TrackerUrl {
    /// Parses a tracker URL (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<TrackerUrl, UrlError> {
        let text = text.trim();
        let (scheme, rest) = text.split_once("://").ok_or_else(|| UrlError::Scheme(text.to_string()))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => Some(80),
            "https" => Some(443),
            "udp" => None,
            _ => return Err(UrlError::Scheme(text.to_string())),
        };
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (host, port) = split_host_port(authority).ok_or_else(|| UrlError::Host(text.to_string()))?;
        let port = match (port, default_port) {
            (Some(p), _) => {
                p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| UrlError::Port(text.to_string()))?
            }
            (None, Some(d)) => d,
            (None, None) => return Err(UrlError::Port(text.to_string())),
        };
        let path_and_query = if path.is_empty() {
            "/".to_string()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        Ok(TrackerUrl { scheme, host: host.to_string(), port, path_and_query })
    }

    /// The `Host` header value (`host` or `host:port`, brackets around IPv6).
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        let default = matches!((self.scheme.as_str(), self.port), ("http", 80) | ("https", 443));
        if default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        return (!host.is_empty()).then_some((host, port));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let valid = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b));
    valid.then_some((host, port))
}

/// Percent-encodes raw bytes for a query string (unreserved characters kept).
pub fn percent_encode(bytes: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tracker_urls() {
        let u = TrackerUrl::parse(" http://tracker.example:6969/announce?x=1 ").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path_and_query.as_str()), ("tracker.example", 6969, "/announce?x=1"));
        assert_eq!(u.host_header(), "tracker.example:6969");
        let u = TrackerUrl::parse("udp://[::1]:1337").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path_and_query.as_str()), ("::1", 1337, "/"));
        assert_eq!(u.host_header(), "[::1]:1337");
        assert_eq!(TrackerUrl::parse("HTTPS://a/b").unwrap().port, 443);
        assert!(matches!(TrackerUrl::parse("udp://a/announce"), Err(UrlError::Port(_))));
        assert!(matches!(TrackerUrl::parse("ftp://a/"), Err(UrlError::Scheme(_))));
        assert!(matches!(TrackerUrl::parse("http://:80/"), Err(UrlError::Host(_))));
        assert!(matches!(TrackerUrl::parse("http://a:99999/"), Err(UrlError::Port(_))));
        assert!(matches!(TrackerUrl::parse("http://a b/"), Err(UrlError::Host(_))));
    }

    #[test]
    fn encodes_binary() {
        let mut s = String::new();
        percent_encode(&[0x00, b'a', 0xff, b' ', b'~'], &mut s);
        assert_eq!(s, "%00a%FF%20~");
    }
}
