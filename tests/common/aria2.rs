//! aria2c as a BitTorrent peer: seeding (`-V --seed-ratio=0`) or downloading one torrent through
//! its tracker, DHT, LPD and peer exchange off, listening on a free loopback port. Killed when
//! the [`Aria2`] is dropped; `--stop` bounds its life anyway.

use super::ports::free_port;
use super::require_tool;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running aria2c.
pub struct Aria2 {
    child: Child,
    log: std::path::PathBuf,
    /// The port it listens on.
    pub port: u16,
}

impl Aria2 {
    /// Starts aria2c on `torrent` with its data under `dir`; `seed` keeps it seeding after the
    /// check (or the download). It lives at most `life`.
    pub fn start(torrent: &Path, dir: &Path, seed: bool, life: Duration) -> Aria2 {
        Self::start_with(torrent, dir, seed, life, &[])
    }

    /// Like [`Aria2::start`] with `extra` aria2c options (e.g. `--bt-require-crypto=true`).
    pub fn start_with(torrent: &Path, dir: &Path, seed: bool, life: Duration, extra: &[&str]) -> Aria2 {
        require_tool("aria2c", "aria2");
        let port = free_port();
        let log = dir.with_extension("aria2.log");
        let mut cmd = Command::new("aria2c");
        cmd.arg("--enable-dht=false")
            .arg("--enable-dht6=false")
            .arg("--bt-enable-lpd=false")
            .arg("--enable-peer-exchange=false")
            .arg("--bt-save-metadata=false")
            .arg("--file-allocation=none")
            .arg("--summary-interval=0")
            .arg("--console-log-level=warn")
            .arg(format!("--log={}", log.display()))
            .arg("--log-level=info")
            .arg(format!("--listen-port={port}"))
            .arg(format!("--stop={}", life.as_secs().max(1)))
            .arg("--bt-tracker-interval=2")
            .arg("-V")
            .arg(format!("--dir={}", dir.display()));
        if seed {
            cmd.arg("--seed-ratio=0");
        } else {
            cmd.arg("--seed-time=0");
        }
        let child = cmd
            .args(extra)
            .arg(torrent)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aria2c");
        Aria2 { child, log, port }
    }

    /// Its log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits up to `timeout` for aria2c to exit; returns its exit code (None on timeout).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let start = std::time::Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Aria2 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
