//! Serialising an [`HttpResponse`] onto a connection's output: status line, `Content-Length`,
//! `Connection`, optional gzip (only when the client accepts it and it is smaller), body.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::tracker::handler::HttpResponse;

/// Bodies shorter than this are never worth compressing (the gzip frame alone is 18 bytes).
const GZIP_MIN_BODY: usize = 64;

/// How a response is to be framed for the request it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framing {
    /// The request's HTTP minor version (0 or 1), echoed in the status line.
    pub minor_version: u8,
    /// True for `HEAD`: headers only, `Content-Length` still of the full body.
    pub head: bool,
    /// True when the connection is closed after this response.
    pub close: bool,
    /// True when the client sent `Accept-Encoding` containing `gzip`.
    pub accept_gzip: bool,
}

/// What was written, for the web log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Body bytes on the wire (0 for `HEAD`).
    pub body_bytes: usize,
    /// True when the body was gzip-compressed.
    pub gzip: bool,
}

/// Appends `response` framed as `framing` says to `out`; `scratch` is a reusable buffer for
/// the compressed body.
pub fn write_response(out: &mut Vec<u8>, response: &HttpResponse, framing: Framing, scratch: &mut Vec<u8>) -> Written {
    let gzip = framing.accept_gzip && response.body.len() >= GZIP_MIN_BODY && gzip_into(scratch, &response.body);
    let body: &[u8] = if gzip { scratch } else { &response.body };
    let _ = write!(out, "HTTP/1.{} {} {}\r\n", framing.minor_version, response.status, response.reason);
    out.extend_from_slice(b"Content-Type: ");
    out.extend_from_slice(response.content_type.as_bytes());
    let _ = write!(out, "\r\nContent-Length: {}\r\n", body.len());
    if gzip {
        out.extend_from_slice(b"Content-Encoding: gzip\r\n");
    }
    for (name, value) in &response.headers {
        push_header(out, name, value.as_bytes());
    }
    if framing.close {
        out.extend_from_slice(b"Connection: close\r\n");
    } else if framing.minor_version == 0 {
        out.extend_from_slice(b"Connection: keep-alive\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if framing.head {
        return Written { body_bytes: 0, gzip };
    }
    out.extend_from_slice(body);
    Written { body_bytes: body.len(), gzip }
}

/// A plain-text error response made by the front itself (bad request, wrong method, too big).
pub fn front_error(status: u16) -> HttpResponse {
    let (reason, text): (&'static str, &str) = match status {
        405 => ("Method Not Allowed", "only GET and HEAD are supported\n"),
        413 => ("Request Entity Too Large", "request too large\n"),
        503 => ("Service Unavailable", "too many connections\n"),
        _ => ("Bad Request", "malformed request\n"),
    };
    let mut r = HttpResponse::new(status, reason, "text/plain", text.as_bytes().to_vec());
    if status == 405 {
        r.headers.push(("Allow", "GET, HEAD".to_string()));
    }
    r
}

/// Compresses `body` into `scratch`; true when the result is smaller than the original.
fn gzip_into(scratch: &mut Vec<u8>, body: &[u8]) -> bool {
    scratch.clear();
    let mut enc = GzEncoder::new(std::mem::take(scratch), Compression::default());
    let ok = enc.write_all(body).is_ok();
    match enc.finish() {
        Ok(v) => *scratch = v,
        Err(_) => return false,
    }
    ok && scratch.len() < body.len()
}

/// Appends `name: value`, dropping CR and LF from the value so a handler cannot split headers.
fn push_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend(value.iter().copied().filter(|&c| c != b'\r' && c != b'\n'));
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn framing() -> Framing {
        Framing { minor_version: 1, head: false, close: false, accept_gzip: false }
    }

    #[test]
    fn plain_response_layout() {
        let mut r = HttpResponse::new(200, "OK", "text/plain", b"hello".to_vec());
        r.headers.push(("Pragma", "no-cache".into()));
        let mut out = Vec::new();
        let w = write_response(&mut out, &r, framing(), &mut Vec::new());
        assert_eq!(w, Written { body_bytes: 5, gzip: false });
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nPragma: no-cache\r\n\r\nhello"
        );
    }

    #[test]
    fn head_and_close_and_http10() {
        let r = HttpResponse::new(404, "Not Found", "text/plain", b"nope".to_vec());
        let mut out = Vec::new();
        let f = Framing { minor_version: 0, head: true, close: true, accept_gzip: false };
        let w = write_response(&mut out, &r, f, &mut Vec::new());
        assert_eq!(w.body_bytes, 0);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.0 404 Not Found\r\n"));
        assert!(text.contains("Content-Length: 4\r\n"));
        assert!(text.ends_with("Connection: close\r\n\r\n"));
    }

    #[test]
    fn gzip_only_when_smaller() {
        let body = b"abcdefgh".repeat(100);
        let r = HttpResponse::new(200, "OK", "text/html", body.clone());
        let mut out = Vec::new();
        let f = Framing { accept_gzip: true, ..framing() };
        let w = write_response(&mut out, &r, f, &mut Vec::new());
        assert!(w.gzip && w.body_bytes < body.len());
        let split = out.windows(4).position(|x| x == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8(out[..split].to_vec()).unwrap();
        assert!(head.contains("Content-Encoding: gzip\r\n"));
        assert!(head.contains(&format!("Content-Length: {}\r\n", w.body_bytes)));
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&out[split..]).read_to_end(&mut plain).unwrap();
        assert_eq!(plain, body);

        let random: Vec<u8> = (0..200u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let r = HttpResponse::new(200, "OK", "text/plain", random.clone());
        let mut out = Vec::new();
        let w = write_response(&mut out, &r, f, &mut Vec::new());
        assert!(!w.gzip);
        assert!(out.ends_with(&random));
    }

    #[test]
    fn header_values_cannot_inject_lines() {
        let mut r = HttpResponse::new(302, "Found", "text/html", Vec::new());
        r.headers.push(("Location", "http://x/\r\nSet-Cookie: a=b".into()));
        let mut out = Vec::new();
        write_response(&mut out, &r, framing(), &mut Vec::new());
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Location: http://x/Set-Cookie: a=b\r\n"));
    }
}
