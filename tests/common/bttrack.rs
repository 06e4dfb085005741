//! Our `bttrack` as a process for interoperability tests: listening on 127.0.0.1 at a port the
//! system chooses, NAT checks off, state in a temporary file. Peers registered for a torrent
//! are counted through its scrape page. Killed when the [`Bttrack`] is dropped.

use bitgocho::bencode::{decode, Limits};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::Duration;

/// A running bttrack.
pub struct Bttrack {
    child: Child,
    addr: SocketAddr,
    _stderr: BufReader<ChildStderr>,
}

impl Bttrack {
    /// Starts bttrack with its state file `dfile` and waits for its startup line.
    pub fn start(dfile: &Path) -> Bttrack {
        Bttrack::start_with(dfile, &[])
    }

    /// Starts bttrack with its state file `dfile` and the options `extra`.
    pub fn start_with(dfile: &Path, extra: &[&str]) -> Bttrack {
        Bttrack::start_env(dfile, extra, &[])
    }

    /// [`Bttrack::start_with`] with environment variables `env` set.
    pub fn start_env(dfile: &Path, extra: &[&str], env: &[(&str, &Path)]) -> Bttrack {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bttrack"));
        cmd.args(["--port", "0", "--bind", "127.0.0.1", "--nat_check", "0", "--dfile"]).arg(dfile).args(extra);
        cmd.envs(env.iter().copied());
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("start bttrack");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        stderr.read_line(&mut line).expect("bttrack startup line");
        let addr = listening_addr(&line).unwrap_or_else(|| panic!("unexpected bttrack startup line {line:?}"));
        Bttrack { child, addr, _stderr: stderr }
    }

    /// The address it serves HTTP (and UDP) on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The announce URL.
    pub fn url(&self) -> String {
        format!("http://{}/announce", self.addr)
    }

    /// Seeds plus leechers registered for `info_hash`, from the scrape page.
    pub fn registered(&self, info_hash: &[u8; 20]) -> u64 {
        let hash: String = info_hash.iter().map(|b| format!("%{b:02X}")).collect();
        let body = http_get(self.addr, &format!("/scrape?info_hash={hash}"));
        let Ok(top) = decode(&body, Limits::default()) else { return 0 };
        let files = top.as_dict().and_then(|d| d.get_dict(b"files"));
        let entry = files.and_then(|f| f.get_dict(&info_hash[..]));
        entry.map_or(0, |e| (e.get_int(b"complete").unwrap_or(0) + e.get_int(b"incomplete").unwrap_or(0)).max(0) as u64)
    }
}

impl Drop for Bttrack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first address of bttrack's startup line `bttrack: listening on <addr>[, <addr>...] ...`.
pub fn listening_addr(line: &str) -> Option<SocketAddr> {
    line.trim().strip_prefix("bttrack: listening on ")?.split([',', ' ']).next()?.parse().ok()
}

/// The body of a GET (empty on any failure).
fn http_get(addr: SocketAddr, target: &str) -> Vec<u8> {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) else { return Vec::new() };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if write!(s, "GET {target} HTTP/1.0\r\n\r\n").is_err() {
        return Vec::new();
    }
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all);
    match all.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(split) => all[split + 4..].to_vec(),
        None => Vec::new(),
    }
}
