//! A blocking HTTP or HTTPS GET for the downloaders' `--url` (BitTornado fetched the .torrent a
//! URL names): redirects followed, the body and the time bounded.

use crate::announce::http_client::{ExchangeOptions, HttpExchange, Progress, MAX_REDIRECTS};
use crate::session::tracker_io::USER_AGENT;
use crate::tls::{TlsClient, Transport};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Longest a fetch may take in all, redirects included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// The body of a `200` reply to a GET of `url` (at most `max_body` bytes), following up to
/// [`MAX_REDIRECTS`] redirects; the error says what went wrong.
pub fn fetch(url: &str, max_body: usize, tls: &TlsClient) -> Result<Vec<u8>, String> {
    let deadline = Instant::now() + FETCH_TIMEOUT;
    let mut url = url.to_string();
    for _ in 0..=MAX_REDIRECTS {
        let options = ExchangeOptions { max_body, ..ExchangeOptions::default() };
        let mut exchange = HttpExchange::with_options(&url, options).map_err(|e| e.to_string())?;
        match exchange_once(&mut exchange, tls, deadline)? {
            Progress::Redirect(to) => url = to,
            Progress::Done { status: 200, body } => return Ok(body),
            Progress::Done { status, .. } => return Err(format!("the server answered HTTP {status}")),
            Progress::NeedMore => unreachable!("an exchange returns only an outcome"),
        }
    }
    Err(format!("more than {MAX_REDIRECTS} redirects"))
}

/// Time left before `deadline`, or the timeout error.
fn left(deadline: Instant) -> Result<Duration, String> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(format!("no reply within {} s", FETCH_TIMEOUT.as_secs()));
    }
    Ok(left)
}

/// Connects to the exchange's server and runs it to an outcome.
fn exchange_once(exchange: &mut HttpExchange, tls: &TlsClient, deadline: Instant) -> Result<Progress, String> {
    let (host, port) = exchange.target();
    let addrs = (host, port).to_socket_addrs().map_err(|e| format!("cannot resolve {host}: {e}"))?;
    let mut last = format!("cannot resolve {host}");
    let mut sock = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, left(deadline)?) {
            Ok(s) => {
                sock = Some(s);
                break;
            }
            Err(e) => last = format!("cannot connect to {addr}: {e}"),
        }
    }
    let sock = sock.ok_or(last)?;
    let mut stream = Transport::new(sock, exchange.is_https().then_some((tls, host)))?;
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            format!("no reply within {} s", FETCH_TIMEOUT.as_secs())
        }
        _ => e.to_string(),
    };
    stream.socket_mut().set_write_timeout(Some(left(deadline)?)).map_err(io)?;
    stream.write_all(&exchange.request(USER_AGENT)).map_err(io)?;
    let mut buf = [0u8; 16 * 1024];
    loop {
        stream.socket_mut().set_read_timeout(Some(left(deadline)?)).map_err(io)?;
        let progress = match stream.read(&mut buf).map_err(io)? {
            0 => exchange.eof(),
            n => exchange.feed(&buf[..n]),
        }
        .map_err(|e| e.to_string())?;
        if progress != Progress::NeedMore {
            return Ok(progress);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A server answering each of `replies` to one connection in turn; returns its base URL.
    fn serve(replies: Vec<Vec<u8>>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for reply in replies {
                let (mut sock, _) = listener.accept().unwrap();
                sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && sock.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
                    head.push(byte[0]);
                }
                let _ = sock.write_all(&reply);
            }
        });
        base
    }

    fn reply(status: &str, extra: &str, body: &str) -> Vec<u8> {
        format!("HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    #[test]
    fn follows_a_redirect_to_the_body() {
        let target = serve(vec![reply("200 OK", "", "d4:infoe")]);
        let first = serve(vec![reply("302 Found", &format!("Location: {target}/x.torrent\r\n"), "")]);
        let body = fetch(&format!("{first}/x"), 1024, &TlsClient::default()).unwrap();
        assert_eq!(body, b"d4:infoe");
    }

    #[test]
    fn errors_name_the_status_the_size_and_the_scheme() {
        let tls = TlsClient::default();
        let base = serve(vec![reply("404 Not Found", "", "gone")]);
        assert!(fetch(&format!("{base}/x"), 1024, &tls).unwrap_err().contains("HTTP 404"));
        let base = serve(vec![reply("200 OK", "", &"x".repeat(100))]);
        let err = fetch(&format!("{base}/x"), 10, &tls).unwrap_err();
        assert!(err.contains("large"), "{err}");
        assert!(fetch("ftp://h/x", 10, &tls).unwrap_err().contains("ftp"));
        let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        assert!(fetch(&format!("http://{closed}/x"), 10, &tls).unwrap_err().contains("cannot connect"));
    }
}
