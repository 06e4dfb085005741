//! The contract between the tracker core and its fronts (HTTP server, UDP server, C API).
//!
//! A front parses bytes off a socket into an [`HttpRequest`] or a datagram, asks a handler for
//! the reply, and writes it. The core implements the handler traits and never sees a socket.

use std::net::SocketAddr;

/// One parsed HTTP request as the core needs it.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// `GET` or `HEAD` (a front refuses other methods itself).
    pub method: &'a str,
    /// The raw request target as received, not URL-decoded (`/announce?info_hash=%9a...`).
    pub target: &'a [u8],
    /// The address of the TCP peer.
    pub peer: SocketAddr,
    /// Request headers, names in lower case, values raw.
    pub headers: &'a [(&'a str, &'a [u8])],
}

impl<'a> HttpRequest<'a> {
    /// The value of header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

/// A reply to an HTTP request. The front adds `Content-Length`, `Connection` and, when the
/// client accepts it and it is smaller, gzip encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code, e.g. 200.
    pub status: u16,
    /// Reason phrase, e.g. `OK`.
    pub reason: &'static str,
    /// `Content-Type` value.
    pub content_type: &'static str,
    /// Further headers (e.g. `Pragma: no-cache`, `Location`, `Content-Disposition`).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with no extra headers.
    pub fn new(status: u16, reason: &'static str, content_type: &'static str, body: Vec<u8>) -> Self {
        HttpResponse { status, reason, content_type, headers: Vec::new(), body }
    }
}

/// Something that answers HTTP requests; called from many threads at once.
pub trait HttpHandler: Send + Sync {
    /// Answers one request.
    fn handle_http(&self, request: &HttpRequest<'_>) -> HttpResponse;
}

/// Something that answers UDP tracker datagrams (BEP 15); called from many threads at once.
pub trait UdpHandler: Send + Sync {
    /// Answers one datagram from `peer`, writing the reply into `out` (cleared first). Returns
    /// false when no reply is to be sent.
    fn handle_udp(&self, datagram: &[u8], peer: SocketAddr, out: &mut Vec<u8>) -> bool;
}
