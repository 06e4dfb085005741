//! A sans-I/O HTTP/1.1 client exchange for tracker requests: builds one GET request and parses
//! the reply incrementally (Content-Length, chunked or close-delimited bodies, gzip), with
//! bounded header and body sizes. Redirects are reported to the driver, which follows up to a
//! limit with a fresh exchange. [`ExchangeOptions`] let other users (web seeds) add request
//! headers, raise the body limit, skip gzip and read the reply's headers.

use super::url::{TrackerUrl, UrlError};
use std::io::Read;

/// Largest reply body accepted (after decompression).
pub const MAX_BODY: usize = 4 * 1024 * 1024;
/// Largest header block accepted.
pub const MAX_HEADER: usize = 16 * 1024;
/// Redirects a driver should follow before giving up.
pub const MAX_REDIRECTS: usize = 5;

/// What an exchange needs next, or its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Feed more bytes (or call [`HttpExchange::eof`] when the server closed).
    NeedMore,
    /// The reply is complete: status and body.
    Done {
        /// HTTP status code.
        status: u16,
        /// The body, decompressed.
        body: Vec<u8>,
    },
    /// The server redirected to this absolute URL.
    Redirect(String),
}

/// Why an exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The URL cannot be requested.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// Not HTTP, or a malformed reply.
    #[error("malformed HTTP reply: {0}")]
    Malformed(String),
    /// Headers or body over the limits.
    #[error("HTTP reply too large")]
    TooLarge,
    /// The connection closed before the reply was complete.
    #[error("connection closed before the reply was complete")]
    Truncated,
}

#[derive(Debug)]
enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

/// How an exchange asks and what it accepts; the default is a tracker announce's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeOptions {
    /// Largest body accepted (after decompression).
    pub max_body: usize,
    /// Extra request headers (name, value), sent after the standard ones.
    pub headers: Vec<(String, String)>,
    /// Ask for a gzip body (`Accept-Encoding: gzip`).
    pub gzip: bool,
    /// Ask the server to keep the connection open (`Connection: keep-alive`; see
    /// [`HttpExchange::reusable`]) instead of closing it.
    pub keep_alive: bool,
}

impl Default for ExchangeOptions {
    fn default() -> Self {
        ExchangeOptions { max_body: MAX_BODY, headers: Vec::new(), gzip: true, keep_alive: false }
    }
}

/// One request/reply exchange on a fresh connection.
#[derive(Debug)]
pub struct HttpExchange {
    url: TrackerUrl,
    options: ExchangeOptions,
    buf: Vec<u8>,
    head: Option<Box<Head>>,
}

#[derive(Debug)]
struct Head {
    status: u16,
    body_start: usize,
    framing: Framing,
    gzip: bool,
    location: Option<String>,
    headers: Vec<(String, String)>,
    /// HTTP/1.1 without `Connection: close`.
    persistent: bool,
}

impl HttpExchange {
    /// Starts an exchange for `url` (`http` or `https`; for https the driver adds the TLS).
    pub fn new(url: &str) -> Result<HttpExchange, HttpError> {
        HttpExchange::with_options(url, ExchangeOptions::default())
    }

    /// Starts an exchange for `url` (`http` or `https`) with non-default options.
    pub fn with_options(url: &str, options: ExchangeOptions) -> Result<HttpExchange, HttpError> {
        let url = TrackerUrl::parse(url)?;
        if url.scheme != "http" && url.scheme != "https" {
            return Err(HttpError::Url(UrlError::Scheme(url.scheme)));
        }
        Ok(HttpExchange { url, options, buf: Vec::new(), head: None })
    }

    /// The reply's status code, once its head has arrived.
    pub fn status(&self) -> Option<u16> {
        self.head.as_ref().map(|h| h.status)
    }

    /// The value of the reply's first header called `name` (any case), once the head arrived.
    pub fn header(&self, name: &str) -> Option<&str> {
        let head = self.head.as_ref()?;
        head.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether the connection can carry another request after this complete reply: keep-alive
    /// was asked, the server did not refuse it, the body had a length and nothing followed it.
    pub fn reusable(&self) -> bool {
        let Some(head) = &self.head else { return false };
        let exact = matches!(head.framing, Framing::Length(n) if self.buf.len() == head.body_start + n);
        self.options.keep_alive && head.persistent && exact
    }

    /// Body bytes received so far (framing included for chunked replies).
    pub fn body_received(&self) -> usize {
        self.head.as_ref().map_or(0, |h| self.buf.len().saturating_sub(h.body_start))
    }

    /// The host and port to connect to.
    pub fn target(&self) -> (&str, u16) {
        (&self.url.host, self.url.port)
    }

    /// Whether the connection must be TLS (an `https` URL).
    pub fn is_https(&self) -> bool {
        self.url.scheme == "https"
    }

    /// The request bytes to send.
    pub fn request(&self, user_agent: &str) -> Vec<u8> {
        let mut r = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\n",
            self.url.path_and_query,
            self.url.host_header(),
            user_agent
        );
        if self.options.gzip {
            r.push_str("Accept-Encoding: gzip\r\n");
        }
        for (name, value) in &self.options.headers {
            r.push_str(&format!("{name}: {value}\r\n"));
        }
        r.push_str(if self.options.keep_alive {
            "Connection: keep-alive\r\n\r\n"
        } else {
            "Connection: close\r\n\r\n"
        });
        r.into_bytes()
    }

    /// Feeds bytes read from the connection.
    pub fn feed(&mut self, data: &[u8]) -> Result<Progress, HttpError> {
        self.buf.extend_from_slice(data);
        if self.head.is_none() {
            match self.parse_head()? {
                Some(h) => self.head = Some(Box::new(h)),
                None if self.buf.len() > MAX_HEADER => return Err(HttpError::TooLarge),
                None => return Ok(Progress::NeedMore),
            }
        }
        self.try_finish(false)
    }

    /// Tells the exchange the server closed the connection.
    pub fn eof(&mut self) -> Result<Progress, HttpError> {
        if self.head.is_none() {
            return Err(HttpError::Truncated);
        }
        match self.try_finish(true)? {
            Progress::NeedMore => Err(HttpError::Truncated),
            done => Ok(done),
        }
    }

    fn parse_head(&self) -> Result<Option<Head>, HttpError> {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut resp = httparse::Response::new(&mut headers);
        let body_start = match resp.parse(&self.buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(e) => return Err(HttpError::Malformed(e.to_string())),
        };
        let status = resp.code.unwrap_or(0);
        let mut framing = Framing::UntilClose;
        let mut gzip = false;
        let mut location = None;
        let mut persistent = resp.version == Some(1);
        let mut headers = Vec::with_capacity(resp.headers.len());
        for h in resp.headers.iter() {
            let value = String::from_utf8_lossy(h.value);
            let value = value.trim();
            if h.name.eq_ignore_ascii_case("content-length") {
                let n = value.parse::<usize>().map_err(|_| HttpError::Malformed("bad Content-Length".into()))?;
                if n > self.options.max_body {
                    return Err(HttpError::TooLarge);
                }
                framing = Framing::Length(n);
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
                framing = Framing::Chunked;
            } else if h.name.eq_ignore_ascii_case("content-encoding") && value.eq_ignore_ascii_case("gzip") {
                gzip = true;
            } else if h.name.eq_ignore_ascii_case("location") {
                location = Some(value.to_string());
            } else if h.name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
                persistent = false;
            }
            headers.push((h.name.to_string(), value.to_string()));
        }
        if (100..200).contains(&status) || status == 204 || status == 304 {
            framing = Framing::Length(0);
        }
        Ok(Some(Head { status, body_start, framing, gzip, location, headers, persistent }))
    }

    fn try_finish(&mut self, closed: bool) -> Result<Progress, HttpError> {
        let Some(head) = &self.head else { return Ok(Progress::NeedMore) };
        let raw = &self.buf[head.body_start..];
        let max = self.options.max_body;
        if raw.len() > max + MAX_HEADER {
            return Err(HttpError::TooLarge);
        }
        let body = match head.framing {
            Framing::Length(n) if raw.len() >= n => raw[..n].to_vec(),
            Framing::Length(_) => return Ok(Progress::NeedMore),
            // A complete chunked body ends with an empty line: only then is it worth decoding.
            Framing::Chunked if !closed && !raw.ends_with(b"\r\n\r\n") => return Ok(Progress::NeedMore),
            Framing::Chunked => match dechunk(raw, max)? {
                Some(b) => b,
                None => return Ok(Progress::NeedMore),
            },
            Framing::UntilClose if closed => raw.to_vec(),
            Framing::UntilClose => return Ok(Progress::NeedMore),
        };
        if (300..400).contains(&head.status) {
            if let Some(loc) = &head.location {
                return Ok(Progress::Redirect(self.absolute(loc)));
            }
        }
        let body = if head.gzip { gunzip(&body, max)? } else { body };
        Ok(Progress::Done { status: head.status, body })
    }

    fn absolute(&self, location: &str) -> String {
        if location.contains("://") {
            location.to_string()
        } else if location.starts_with('/') {
            format!("{}://{}{}", self.url.scheme, self.url.host_header(), location)
        } else {
            let base = self.url.path_and_query.split('?').next().unwrap_or("/");
            let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
            format!("{}://{}{}{}", self.url.scheme, self.url.host_header(), dir, location)
        }
    }
}

/// Decodes a complete chunked body; `Ok(None)` while incomplete.
fn dechunk(mut raw: &[u8], max: usize) -> Result<Option<Vec<u8>>, HttpError> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else { return Ok(None) };
        let size_text = std::str::from_utf8(&raw[..eol]).map_err(|_| HttpError::Malformed("chunk size".into()))?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| HttpError::Malformed("chunk size".into()))?;
        if out.len().saturating_add(size) > max {
            return Err(HttpError::TooLarge);
        }
        let data = eol + 2;
        if size == 0 {
            return Ok(Some(out));
        }
        if raw.len() < data + size + 2 {
            return Ok(None);
        }
        out.extend_from_slice(&raw[data..data + size]);
        raw = &raw[data + size + 2..];
    }
}

fn gunzip(body: &[u8], max: usize) -> Result<Vec<u8>, HttpError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| HttpError::Malformed(format!("gzip: {e}")))?;
    if out.len() > max {
        return Err(HttpError::TooLarge);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn run(reply: &[u8], split: usize) -> Result<Progress, HttpError> {
        let mut x = HttpExchange::new("http://127.0.0.1:6969/announce?a=1").unwrap();
        let mut last = Progress::NeedMore;
        for chunk in reply.chunks(split.max(1)) {
            last = x.feed(chunk)?;
            if last != Progress::NeedMore {
                return Ok(last);
            }
        }
        if last == Progress::NeedMore {
            x.eof()
        } else {
            Ok(last)
        }
    }

    #[test]
    fn request_shape() {
        let x = HttpExchange::new("http://[::1]:80/a/announce?x=%00").unwrap();
        let r = String::from_utf8(x.request("BitGocho/0.1")).unwrap();
        assert!(r.starts_with("GET /a/announce?x=%00 HTTP/1.1\r\nHost: [::1]\r\n"));
        assert_eq!(x.target(), ("::1", 80));
        assert!(HttpExchange::new("udp://a:1/").is_err());
    }

    #[test]
    fn framings_in_any_split() {
        let done = |b: &[u8]| Progress::Done { status: 200, body: b.to_vec() };
        for split in [1, 3, 1000] {
            assert_eq!(run(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA", split).unwrap(), done(b"hello"));
            assert_eq!(
                run(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\n\r\n",
                    split
                )
                .unwrap(),
                done(b"hello")
            );
            assert_eq!(run(b"HTTP/1.0 200 OK\r\n\r\nhello", split).unwrap(), done(b"hello"));
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"d8:intervali5ee").unwrap();
        let gz = gz.finish().unwrap();
        let reply = [
            format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", gz.len()).as_bytes(),
            &gz,
        ]
        .concat();
        assert_eq!(run(&reply, 7).unwrap(), done(b"d8:intervali5ee"));
    }

    #[test]
    fn options_add_headers_and_bound_the_body() {
        let opts = ExchangeOptions {
            max_body: 8,
            headers: vec![("Range".into(), "bytes=0-7".into())],
            gzip: false,
            keep_alive: true,
        };
        let mut x = HttpExchange::with_options("http://h/f", opts.clone()).unwrap();
        let r = String::from_utf8(x.request("UA")).unwrap();
        assert!(r.contains("\r\nRange: bytes=0-7\r\n") && !r.contains("Accept-Encoding"), "{r}");
        assert_eq!(x.status(), None);
        let reply = b"HTTP/1.1 206 Partial\r\nContent-Range: bytes 0-7/100\r\nContent-Length: 8\r\n\r\n0123";
        assert_eq!(x.feed(reply).unwrap(), Progress::NeedMore);
        assert_eq!((x.status(), x.header("content-range")), (Some(206), Some("bytes 0-7/100")));
        assert_eq!(x.body_received(), 4);
        assert!(!x.reusable(), "not complete yet");
        assert_eq!(x.feed(b"4567").unwrap(), Progress::Done { status: 206, body: b"01234567".to_vec() });
        assert!(x.reusable() && r.contains("Connection: keep-alive"));
        let keep = |reply: &[u8], keep_alive: bool| {
            let mut x =
                HttpExchange::with_options("http://h/f", ExchangeOptions { keep_alive, ..opts.clone() }).unwrap();
            matches!(x.feed(reply), Ok(Progress::Done { .. })) && x.reusable()
        };
        assert!(keep(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", true));
        assert!(!keep(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", false), "not asked");
        assert!(!keep(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", true));
        assert!(!keep(b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", true));
        assert!(!keep(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy", true), "bytes after the body");
        assert!(!keep(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", true));
        let mut big = HttpExchange::with_options("http://h/f", opts.clone()).unwrap();
        assert_eq!(big.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"), Err(HttpError::TooLarge));
        let mut chunked = HttpExchange::with_options("http://h/f", opts).unwrap();
        let reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n5\r\nfghij\r\n0\r\n\r\n";
        assert_eq!(chunked.feed(reply), Err(HttpError::TooLarge));
    }

    #[test]
    fn redirects_and_errors() {
        assert_eq!(
            run(b"HTTP/1.1 302 Found\r\nLocation: /other\r\nContent-Length: 0\r\n\r\n", 5).unwrap(),
            Progress::Redirect("http://127.0.0.1:6969/other".into())
        );
        assert_eq!(
            run(b"HTTP/1.1 301 Moved\r\nLocation: b?x\r\nContent-Length: 0\r\n\r\n", 5).unwrap(),
            Progress::Redirect("http://127.0.0.1:6969/b?x".into())
        );
        assert_eq!(run(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100), Err(HttpError::Truncated));
        assert!(matches!(run(b"SSH-2.0-OpenSSH\r\n\r\n", 100), Err(HttpError::Malformed(_))));
        assert_eq!(run(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", 100), Err(HttpError::TooLarge));
        let endless = [b"HTTP/1.1 200 OK\r\n".as_slice(), &b"X-A: b\r\n".repeat(5000)].concat();
        assert!(run(&endless, 4096).is_err());
    }
}
