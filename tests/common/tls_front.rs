//! socat (OpenSSL) terminating TLS on loopback in front of a plain HTTP server, with the test
//! certificate of `tests/data/tls` (trusted through `ca.pem`). Killed when dropped.

use super::{require_tool, KillOnDrop};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A file of `tests/data/tls`.
pub fn tls_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tls").join(name)
}

/// A running TLS front.
pub struct TlsFront {
    _child: KillOnDrop,
    port: u16,
}

impl TlsFront {
    /// Accepts TLS on 127.0.0.1 and forwards each connection's plaintext to `backend`.
    pub fn start(backend: SocketAddr) -> TlsFront {
        for _ in 0..5 {
            let port = super::ports::free_port();
            if let Some(front) = TlsFront::try_start(port, backend) {
                return front;
            }
        }
        panic!("socat did not start listening (5 tries)");
    }

    /// [`TlsFront::start`] on `port` (chosen free by the caller, who needs it beforehand).
    pub fn start_on(port: u16, backend: SocketAddr) -> TlsFront {
        TlsFront::try_start(port, backend).unwrap_or_else(|| panic!("socat did not start listening on {port}"))
    }

    fn try_start(port: u16, backend: SocketAddr) -> Option<TlsFront> {
        require_tool("socat", "socat");
        let listen = format!(
            "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,verify=0,cert={},key={}",
            tls_data("server.pem").display(),
            tls_data("server.key").display()
        );
        let child = Command::new("socat")
            .arg(listen)
            .arg(format!("TCP:{backend}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start socat");
        let mut child = KillOnDrop(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && child.0.try_wait().ok().flatten().is_none() {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(TlsFront { _child: child, port });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// `https://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }
}
