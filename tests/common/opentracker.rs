//! Debian's opentracker as a process on 127.0.0.1 (TCP and UDP on one free port), serving only
//! the whitelisted info-hashes (Debian builds it with the whitelist on). Killed when dropped.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running opentracker.
pub struct OpenTracker {
    child: Child,
    /// Its TCP and UDP address.
    pub addr: SocketAddr,
}

impl Drop for OpenTracker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OpenTracker {
    /// Starts opentracker in `dir` (its whitelist file goes there) for `whitelist`.
    pub fn start(dir: &Path, whitelist: &[[u8; 20]]) -> OpenTracker {
        let binary = ["/usr/bin/opentracker", "/usr/sbin/opentracker"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or_else(|| panic!("opentracker is missing: install the Debian package `opentracker`"));
        let list: String =
            whitelist.iter().map(|h| h.iter().map(|b| format!("{b:02x}")).collect::<String>() + "\n").collect();
        let wl = dir.join("whitelist");
        std::fs::write(&wl, list).unwrap();
        for _ in 0..5 {
            if let Some(ot) = Self::try_start(binary, dir, &wl) {
                return ot;
            }
        }
        panic!("opentracker did not start on any of 5 free ports");
    }

    /// One attempt on a fresh port: `None` when opentracker exits (its port was taken meanwhile).
    fn try_start(binary: &str, dir: &Path, whitelist: &Path) -> Option<OpenTracker> {
        let port = super::ports::free_port().to_string();
        let mut child = Command::new(binary)
            .args(["-i", "127.0.0.1", "-p", &port, "-P", &port, "-w"])
            .arg(whitelist)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start opentracker");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let t0 = Instant::now();
        while TcpStream::connect(addr).is_err() {
            if child.try_wait().expect("opentracker status").is_some() {
                return None;
            }
            assert!(t0.elapsed() < Duration::from_secs(5), "opentracker did not open its port");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Whoever answered, opentracker must still be running: else another program has the port.
        std::thread::sleep(Duration::from_millis(50));
        if child.try_wait().expect("opentracker status").is_some() {
            return None;
        }
        Some(OpenTracker { child, addr })
    }
}
