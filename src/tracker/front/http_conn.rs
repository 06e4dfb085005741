//! One HTTP/1.1 connection as a sans-I/O state machine: bytes in, requests parsed with
//! httparse and answered through an [`HttpHandler`], response bytes out. Pipelined requests
//! are answered in order; the output held per connection is capped, and a connection that
//! breaks the rules gets an error response and is closed.

use std::net::SocketAddr;

use httparse::Status;

use super::http_response::{front_error, write_response, Framing, Written};
use super::weblog::{LogBuffer, LogEntry};
use crate::tracker::handler::{HttpHandler, HttpRequest, HttpResponse};

/// Most headers a request may carry; more is answered with 400.
pub const MAX_HEADERS: usize = 32;

/// Size limits of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// Largest request head accepted; a longer one is answered with 413 and the connection closed.
    pub max_request: usize,
    /// No further request is answered while this many response bytes wait to be sent.
    pub output_cap: usize,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits { max_request: 8192, output_cap: 64 * 1024 }
    }
}

/// What answering requests needs besides the connection: the handler, the web log of the
/// worker, the wall clock (for log stamps) and reusable buffers.
pub struct ConnContext<'a> {
    /// Answers requests.
    pub handler: &'a dyn HttpHandler,
    /// The worker's log buffer; `None` disables logging.
    pub log: Option<&'a mut LogBuffer>,
    /// Seconds since the Unix epoch, for log stamps.
    pub unix_now: i64,
    /// Reusable gzip output buffer.
    pub gzip_scratch: &'a mut Vec<u8>,
}

/// Why processing stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The buffered bytes end inside a request.
    Partial,
    /// The output cap is reached.
    OutputFull,
    /// The connection answers nothing more.
    Closing,
}

/// The state of one connection.
#[derive(Debug)]
pub struct HttpConn {
    peer: SocketAddr,
    limits: ConnLimits,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    closing: bool,
    peer_eof: bool,
}

impl HttpConn {
    /// A fresh connection from `peer` (IPv4-mapped addresses already converted).
    pub fn new(peer: SocketAddr, limits: ConnLimits) -> Self {
        HttpConn { peer, limits, inbuf: Vec::new(), out: Vec::new(), out_pos: 0, closing: false, peer_eof: false }
    }

    /// How many bytes may be read from the socket now (0: stop reading until output drains).
    pub fn read_budget(&self) -> usize {
        if self.closing || self.peer_eof || self.pending_output() >= self.limits.output_cap {
            return 0;
        }
        self.limits.max_request.saturating_sub(self.inbuf.len())
    }

    /// Feeds bytes read from the socket and answers every complete request they finish.
    /// Returns the number of requests answered.
    pub fn on_data(&mut self, data: &[u8], ctx: &mut ConnContext<'_>) -> usize {
        if self.closing {
            return 0;
        }
        if self.inbuf.is_empty() {
            let (answered, used, stop) = self.process(data, ctx);
            self.inbuf.extend_from_slice(&data[used..]);
            self.after_process(stop, ctx);
            answered
        } else {
            self.inbuf.extend_from_slice(data);
            self.resume(ctx)
        }
    }

    /// Answers requests still buffered (after the output drained below the cap).
    pub fn resume(&mut self, ctx: &mut ConnContext<'_>) -> usize {
        if self.inbuf.is_empty() || self.closing {
            return 0;
        }
        let buf = std::mem::take(&mut self.inbuf);
        let (answered, used, stop) = self.process(&buf, ctx);
        self.inbuf = buf;
        self.inbuf.drain(..used);
        self.after_process(stop, ctx);
        answered
    }

    /// The peer closed its sending side: answer what is buffered, then close.
    pub fn on_eof(&mut self, ctx: &mut ConnContext<'_>) {
        self.peer_eof = true;
        self.resume(ctx);
        if self.inbuf.is_empty() {
            self.closing = true;
        }
    }

    /// Response bytes waiting to be written.
    pub fn output(&self) -> &[u8] {
        &self.out[self.out_pos..]
    }

    /// The number of response bytes waiting to be written.
    pub fn pending_output(&self) -> usize {
        self.out.len() - self.out_pos
    }

    /// Marks `n` bytes of [`output`](Self::output) as written.
    pub fn consume(&mut self, n: usize) {
        self.out_pos = (self.out_pos + n).min(self.out.len());
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
            if self.out.capacity() > 4 * self.limits.output_cap {
                self.out = Vec::new();
            }
        }
    }

    /// True when the connection should be closed now: it answers nothing more and all
    /// output is written.
    pub fn is_done(&self) -> bool {
        self.closing && self.pending_output() == 0
    }

    /// True while bytes of an unfinished request are buffered.
    pub fn has_partial_request(&self) -> bool {
        !self.inbuf.is_empty()
    }

    fn after_process(&mut self, stop: Stop, ctx: &mut ConnContext<'_>) {
        if stop == Stop::Partial && self.inbuf.len() >= self.limits.max_request {
            let request_line = request_line(&self.inbuf).to_vec();
            self.inbuf.clear();
            self.answer_error(413, &request_line, ctx);
        }
        if self.peer_eof && stop == Stop::Partial {
            self.closing = true;
        }
    }

    /// Answers complete requests at the front of `buf`; returns (answered, bytes used, why it stopped).
    fn process(&mut self, buf: &[u8], ctx: &mut ConnContext<'_>) -> (usize, usize, Stop) {
        let mut used = 0;
        let mut answered = 0;
        loop {
            if self.closing {
                return (answered, used, Stop::Closing);
            }
            if self.pending_output() >= self.limits.output_cap {
                return (answered, used, Stop::OutputFull);
            }
            let rest = &buf[used..];
            if rest.is_empty() {
                return (answered, used, Stop::Partial);
            }
            match self.answer_one(rest, ctx) {
                Some(n) => {
                    used += n;
                    answered += 1;
                }
                None => return (answered, used, Stop::Partial),
            }
        }
    }

    /// Parses and answers one request at the start of `buf`; returns its length, or `None`
    /// when it is incomplete. A malformed request is answered with an error and closes.
    fn answer_one(&mut self, buf: &[u8], ctx: &mut ConnContext<'_>) -> Option<usize> {
        let mut raw_headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut raw_headers);
        let len = match req.parse(buf) {
            Ok(Status::Complete(n)) => n,
            Ok(Status::Partial) => return None,
            Err(_) => {
                self.answer_error(400, request_line(buf), ctx);
                return Some(buf.len());
            }
        };
        let line = request_line(buf);
        let (Some(method), Some(path), Some(minor)) = (req.method, req.path, req.version) else {
            self.answer_error(400, line, ctx);
            return Some(buf.len());
        };
        let mut names = [0u8; 1024];
        let mut lowered: [(&str, &[u8]); MAX_HEADERS] = [("", b""); MAX_HEADERS];
        let Some(count) = lower_headers(req.headers, &mut names, &mut lowered) else {
            self.answer_error(400, line, ctx);
            return Some(buf.len());
        };
        let headers = &lowered[..count];
        if method != "GET" && method != "HEAD" {
            self.answer_error(405, line, ctx);
            return Some(buf.len());
        }
        if has_body(headers) {
            self.answer_error(400, line, ctx);
            return Some(buf.len());
        }
        let close = self.peer_eof || wants_close(minor, headers);
        let framing =
            Framing { minor_version: minor, head: method == "HEAD", close, accept_gzip: accepts_gzip(headers) };
        let request = HttpRequest { method, target: path.as_bytes(), peer: self.peer, headers };
        let response = ctx.handler.handle_http(&request);
        self.emit(&response, framing, line, headers, ctx);
        if close {
            self.closing = true;
        }
        Some(len)
    }

    /// Answers with a front-made error and closes the connection afterwards.
    fn answer_error(&mut self, status: u16, line: &[u8], ctx: &mut ConnContext<'_>) {
        let framing = Framing { minor_version: 1, head: false, close: true, accept_gzip: false };
        self.emit(&front_error(status), framing, line, &[], ctx);
        self.closing = true;
    }

    fn emit(
        &mut self,
        response: &HttpResponse,
        framing: Framing,
        line: &[u8],
        headers: &[(&str, &[u8])],
        ctx: &mut ConnContext<'_>,
    ) {
        let Written { body_bytes, gzip } = write_response(&mut self.out, response, framing, ctx.gzip_scratch);
        if let Some(log) = ctx.log.as_deref_mut() {
            let find = |n: &str| headers.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
            let entry = LogEntry {
                ip: self.peer.ip(),
                gzip,
                request_line: line,
                status: response.status,
                bytes: body_bytes,
                referer: find("referer"),
                user_agent: find("user-agent"),
            };
            log.record(&entry, ctx.unix_now);
        }
    }
}

/// The first line of `buf` without its line end, at most 2 KiB of it.
fn request_line(buf: &[u8]) -> &[u8] {
    let end = buf.iter().position(|&c| c == b'\n').unwrap_or(buf.len()).min(2048);
    let line = &buf[..end];
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Copies header names lower-cased into `names` and pairs them with their values in `out`;
/// `None` when the names do not fit.
fn lower_headers<'a>(
    raw: &[httparse::Header<'a>],
    names: &'a mut [u8; 1024],
    out: &mut [(&'a str, &'a [u8]); MAX_HEADERS],
) -> Option<usize> {
    let mut ends = [0usize; MAX_HEADERS];
    let mut pos = 0;
    for (i, h) in raw.iter().enumerate() {
        let n = h.name.as_bytes();
        let dst = names.get_mut(pos..pos + n.len())?;
        for (d, s) in dst.iter_mut().zip(n) {
            *d = s.to_ascii_lowercase();
        }
        pos += n.len();
        ends[i] = pos;
    }
    let names: &'a [u8] = names;
    let all = std::str::from_utf8(&names[..pos]).ok()?;
    let mut start = 0;
    for (i, h) in raw.iter().enumerate() {
        out[i] = (&all[start..ends[i]], h.value);
        start = ends[i];
    }
    Some(raw.len())
}

fn find_header<'a>(headers: &[(&str, &'a [u8])], name: &str) -> Option<&'a [u8]> {
    headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn contains_token(value: &[u8], token: &[u8]) -> bool {
    value.split(|&c| c == b',' || c == b';').any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

fn wants_close(minor: u8, headers: &[(&str, &[u8])]) -> bool {
    match find_header(headers, "connection") {
        Some(v) if minor == 0 => !contains_token(v, b"keep-alive"),
        Some(v) => contains_token(v, b"close"),
        None => minor == 0,
    }
}

fn accepts_gzip(headers: &[(&str, &[u8])]) -> bool {
    find_header(headers, "accept-encoding").is_some_and(|v| v.windows(4).any(|w| w.eq_ignore_ascii_case(b"gzip")))
}

/// True when the request announces a body (which GET and HEAD here must not have).
fn has_body(headers: &[(&str, &[u8])]) -> bool {
    if find_header(headers, "transfer-encoding").is_some() {
        return true;
    }
    find_header(headers, "content-length").is_some_and(|v| v.trim_ascii() != b"0")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;
    impl HttpHandler for Echo {
        fn handle_http(&self, r: &HttpRequest<'_>) -> HttpResponse {
            let ua = r.header("user-agent").unwrap_or(b"none");
            let mut body = r.target.to_vec();
            body.push(b' ');
            body.extend_from_slice(ua);
            HttpResponse::new(200, "OK", "text/plain", body)
        }
    }

    fn run(conn: &mut HttpConn, data: &[u8], log: Option<&mut LogBuffer>) -> (usize, String) {
        let mut gz = Vec::new();
        let mut ctx = ConnContext { handler: &Echo, log, unix_now: 0, gzip_scratch: &mut gz };
        let n = conn.on_data(data, &mut ctx);
        let out = String::from_utf8_lossy(conn.output()).into_owned();
        let len = conn.pending_output();
        conn.consume(len);
        (n, out)
    }

    fn conn() -> HttpConn {
        HttpConn::new("127.0.0.1:5000".parse().unwrap(), ConnLimits::default())
    }

    #[test]
    fn pipelined_requests_in_order_split_anywhere() {
        let wire = b"GET /a HTTP/1.1\r\nUser-Agent: X\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\n\r\n";
        for split in 0..wire.len() {
            let mut c = conn();
            let (n1, o1) = run(&mut c, &wire[..split], None);
            let (n2, o2) = run(&mut c, &wire[split..], None);
            assert_eq!(n1 + n2, 3);
            let all = o1 + &o2;
            let a = all.find("/a X").unwrap();
            let b = all.find("/b none").unwrap();
            let cc = all.find("/c none").unwrap();
            assert!(a < b && b < cc);
            assert!(!c.is_done() && !c.has_partial_request());
        }
    }

    #[test]
    fn http10_closes_unless_keep_alive() {
        let mut c = conn();
        let (_, out) = run(&mut c, b"GET / HTTP/1.0\r\n\r\nGET /x HTTP/1.0\r\n\r\n", None);
        assert!(out.starts_with("HTTP/1.0 200 OK\r\n") && out.contains("Connection: close\r\n"));
        assert!(!out.contains("/x"));
        assert!(c.is_done());
        let mut c = conn();
        let (n, out) = run(&mut c, b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", None);
        assert_eq!(n, 1);
        assert!(out.contains("Connection: keep-alive\r\n") && !c.is_done());
    }

    #[test]
    fn errors_answer_and_close() {
        for (wire, status) in [
            (&b"POST / HTTP/1.1\r\n\r\n"[..], "405"),
            (b"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "400"),
            (b"\x00\x01garbage\r\n\r\n", "400"),
            (b"GET / HTTP/1.1\r\nbad header\r\n\r\n", "400"),
        ] {
            let mut c = conn();
            let (_, out) = run(&mut c, wire, None);
            assert!(out.starts_with(&format!("HTTP/1.1 {status} ")), "{out}");
            assert!(c.is_done());
        }
    }

    #[test]
    fn oversize_request_gets_413() {
        let mut c = conn();
        let mut wire = b"GET /".to_vec();
        wire.resize(8192, b'a');
        assert_eq!(c.read_budget(), 8192);
        let (_, out) = run(&mut c, &wire, None);
        assert!(out.starts_with("HTTP/1.1 413 "), "{out}");
        assert!(c.is_done() && c.read_budget() == 0);
    }

    #[test]
    fn output_cap_holds_requests_back() {
        let limits = ConnLimits { max_request: 8192, output_cap: 200 };
        let mut c = HttpConn::new("127.0.0.1:1".parse().unwrap(), limits);
        let wire = b"GET /a HTTP/1.1\r\n\r\n".repeat(20);
        let mut gz = Vec::new();
        let mut ctx = ConnContext { handler: &Echo, log: None, unix_now: 0, gzip_scratch: &mut gz };
        let first = c.on_data(&wire, &mut ctx);
        assert!(first < 20 && c.pending_output() >= 200 && c.read_budget() == 0);
        let mut total = first;
        while total < 20 {
            c.consume(c.pending_output());
            let n = c.resume(&mut ctx);
            assert!(n > 0);
            total += n;
        }
        assert!(!c.has_partial_request());
    }

    #[test]
    fn eof_after_request_answers_then_closes() {
        let mut c = conn();
        let mut gz = Vec::new();
        let mut ctx = ConnContext { handler: &Echo, log: None, unix_now: 0, gzip_scratch: &mut gz };
        c.on_data(b"GET /z HTTP/1.1\r\n\r\nGET /partial", &mut ctx);
        c.on_eof(&mut ctx);
        assert!(String::from_utf8_lossy(c.output()).contains("/z none"));
        c.consume(c.pending_output());
        assert!(c.is_done());
    }

    #[test]
    fn logs_one_line_per_response() {
        let mut c = conn();
        let mut lb = LogBuffer::new();
        run(&mut c, b"GET /a HTTP/1.1\r\nUser-Agent: UA\r\nReferer: R\r\n\r\nGET /b HTTP/1.1\r\n\r\n", Some(&mut lb));
        let text = String::from_utf8(lb.pending().to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("127.0.0.1 - - ["));
        assert!(lines[0].ends_with("\"GET /a HTTP/1.1\" 200 5 \"R\" \"UA\""), "{}", lines[0]);
        assert!(lines[1].ends_with("\"GET /b HTTP/1.1\" 200 7 \"-\" \"-\""), "{}", lines[1]);
    }
}
