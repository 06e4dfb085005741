//! TLS for the HTTP client (https trackers, https web seeds, .torrent URLs): rustls over any
//! byte stream, blocking or not, with the system's trusted certificates plus an optional file.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The certificates a client trusts, loaded on first use: the system's (`rustls-native-certs`,
/// which reads `SSL_CERT_FILE` or `SSL_CERT_DIR` when set, as OpenSSL does) and those of an
/// extra PEM file.
#[derive(Debug, Default)]
pub struct TlsClient {
    ca_file: Option<PathBuf>,
    config: OnceLock<Result<Arc<ClientConfig>, String>>,
}

impl TlsClient {
    /// A client trusting the system's certificates and, when given, those in `ca_file`.
    pub fn new(ca_file: Option<PathBuf>) -> TlsClient {
        TlsClient { ca_file, config: OnceLock::new() }
    }

    /// The rustls configuration, built on the first call; the error names a bad `ca_file`.
    pub fn config(&self) -> Result<Arc<ClientConfig>, String> {
        self.config.get_or_init(|| client_config(self.ca_file.as_deref())).clone()
    }

    /// Starts a TLS connection to `host` over `sock`; nothing is sent until it is read or written.
    pub fn connect<S: Read + Write>(&self, sock: S, host: &str) -> Result<TlsStream<S>, String> {
        let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_string())
            .map_err(|e| format!("TLS: bad server name {host:?}: {e}"))?;
        let conn = ClientConnection::new(self.config()?, name).map_err(|e| format!("TLS: {e}"))?;
        Ok(TlsStream { sock, conn })
    }
}

/// A client configuration trusting the system's certificates and those in `ca_file`. Unreadable
/// system certificates are skipped (a machine may have none); a bad `ca_file` is an error.
fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("TLS: cannot read certificates from {}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("TLS: no certificate in {}", path.display()));
        }
        let (_, bad) = roots.add_parsable_certificates(certs);
        if bad > 0 {
            return Err(format!("TLS: {bad} unusable certificate(s) in {}", path.display()));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A TLS client connection over `S`. Reads and writes follow `S`: on a non-blocking socket they
/// return `WouldBlock` while the handshake or the records wait for the network.
pub struct TlsStream<S> {
    sock: S,
    conn: ClientConnection,
}

impl<S: Read + Write> TlsStream<S> {
    /// The underlying stream (to register it with a poller).
    pub fn socket_mut(&mut self) -> &mut S {
        &mut self.sock
    }

    /// Sends queued TLS records until done or the socket would block.
    fn send_records(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut self.sock) {
                Ok(_) => {}
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::NotConnected) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl<S: Read + Write> Read for TlsStream<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            self.send_records()?;
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                // Closed without `close_notify`: most HTTP servers do this, and the exchange
                // knows from its framing whether the body is complete.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            // At the end of the stream (0 bytes) the reader then reports a clean or an unclean close.
            self.conn.read_tls(&mut self.sock)?;
            if let Err(e) = self.conn.process_new_packets() {
                // Tell the server why, if the socket takes it.
                let _ = self.send_records();
                return Err(io::Error::new(io::ErrorKind::InvalidData, format!("TLS: {e}")));
            }
        }
    }
}

impl<S: Read + Write> Write for TlsStream<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.conn.writer().write(buf)?;
        self.send_records()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_records()?;
        self.sock.flush()
    }
}

/// A client connection: plaintext, or TLS for `https`.
pub enum Transport<S> {
    /// Plain TCP.
    Plain(S),
    /// TLS over TCP.
    Tls(Box<TlsStream<S>>),
}

impl<S: Read + Write> Transport<S> {
    /// `sock` as is, or wrapped in TLS to `host` when `tls` is given.
    pub fn new(sock: S, tls: Option<(&TlsClient, &str)>) -> Result<Transport<S>, String> {
        Ok(match tls {
            None => Transport::Plain(sock),
            Some((client, host)) => Transport::Tls(Box::new(client.connect(sock, host)?)),
        })
    }

    /// The underlying stream (to register it with a poller).
    pub fn socket_mut(&mut self) -> &mut S {
        match self {
            Transport::Plain(s) => s,
            Transport::Tls(t) => t.socket_mut(),
        }
    }
}

impl<S: Read + Write> Read for Transport<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.read(buf),
            Transport::Tls(t) => t.read(buf),
        }
    }
}

impl<S: Read + Write> Write for Transport<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.write(buf),
            Transport::Tls(t) => t.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Transport::Plain(s) => s.flush(),
            Transport::Tls(t) => t.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::PrivateKeyDer;
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    fn data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tls").join(name)
    }

    /// A one-connection TLS server on loopback answering `pong:` and the first line it reads.
    fn server() -> std::net::SocketAddr {
        let certs = CertificateDer::pem_file_iter(data("server.pem")).unwrap().map(Result::unwrap).collect();
        let key = PrivateKeyDer::from_pem_file(data("server.key")).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (sock, _) = listener.accept().unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, sock);
            let mut line = Vec::new();
            let mut byte = [0u8; 1];
            while tls.read(&mut byte).map(|n| n == 1).unwrap_or(false) && byte[0] != b'\n' {
                line.push(byte[0]);
            }
            let _ = tls.write_all(&[b"pong:".as_slice(), &line].concat());
            tls.conn.send_close_notify();
            let _ = tls.flush();
        });
        addr
    }

    fn trusting(name: &str) -> TlsClient {
        TlsClient::new(Some(data(name)))
    }

    #[test]
    fn blocking_exchange_with_a_trusted_server() {
        let sock = TcpStream::connect(server()).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut tls = Transport::new(sock, Some((&trusting("ca.pem"), "127.0.0.1"))).unwrap();
        tls.write_all(b"ping\n").unwrap();
        let mut reply = Vec::new();
        tls.read_to_end(&mut reply).unwrap();
        assert_eq!(reply, b"pong:ping");
    }

    #[test]
    fn non_blocking_exchange_on_mio() {
        let mut poll = mio::Poll::new().unwrap();
        let mut events = mio::Events::with_capacity(8);
        let sock = mio::net::TcpStream::connect(server()).unwrap();
        let mut tls = Transport::new(sock, Some((&trusting("ca.pem"), "localhost"))).unwrap();
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
        poll.registry().register(tls.socket_mut(), mio::Token(0), interest).unwrap();
        let (mut sent, mut reply, mut done) = (false, Vec::new(), false);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done && Instant::now() < deadline {
            poll.poll(&mut events, Some(Duration::from_millis(100))).unwrap();
            if !sent {
                match tls.write(b"ping\n") {
                    Ok(5) => sent = true,
                    Ok(n) => panic!("short write {n}"),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::NotConnected => {}
                    Err(e) => panic!("{e}"),
                }
            }
            let mut buf = [0u8; 64];
            loop {
                match tls.read(&mut buf) {
                    Ok(0) => {
                        done = true;
                        break;
                    }
                    Ok(n) => reply.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("{e}"),
                }
            }
        }
        assert_eq!(reply, b"pong:ping");
    }

    fn handshake_error(client: &TlsClient, name: &str) -> String {
        let sock = TcpStream::connect(server()).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut tls = Transport::new(sock, Some((client, name))).unwrap();
        let _ = tls.write_all(b"ping\n");
        tls.read_to_end(&mut Vec::new()).expect_err("the handshake must fail").to_string()
    }

    #[test]
    fn untrusted_or_misnamed_servers_are_refused_with_the_reason() {
        let err = handshake_error(&trusting("other-ca.pem"), "127.0.0.1");
        assert!(err.contains("invalid peer certificate") && err.contains("UnknownIssuer"), "{err}");
        let err = handshake_error(&trusting("ca.pem"), "bitgocho.example");
        assert!(err.contains("not valid for name \"bitgocho.example\""), "{err}");
    }

    #[test]
    fn a_bad_ca_file_is_named() {
        let err = trusting("missing.pem").config().unwrap_err();
        assert!(err.contains("missing.pem"), "{err}");
        let err = trusting("README.md").config().unwrap_err();
        assert!(err.contains("no certificate in") && err.contains("README.md"), "{err}");
        let err = TlsClient::new(None).connect(std::io::Cursor::new(Vec::new()), "not a host").err().unwrap();
        assert!(err.contains("bad server name"), "{err}");
    }
}
