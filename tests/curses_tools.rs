//! `btdownloadcurses` and `btlaunchmanycurses` as processes in a real pseudo-terminal (openpty),
//! their screens read back through a VT100 emulator (the `vt100` crate): a real download from
//! our own engine found through bttrack, the labelled screen reaching `download succeeded!`,
//! the peer table with `--spew 1`, a resize, `q` ending the run with exit 0 and a `stopped`
//! announce, the downloaded bytes equal to the original; the launcher with a directory of two
//! torrents; refusal of a non-terminal stdout; the no-arguments usage. Loopback only; every
//! wait is bounded.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;
use common::bttrack::Bttrack;

const CURSES: &str = env!("CARGO_BIN_EXE_btdownloadcurses");
const MANYCURSES: &str = env!("CARGO_BIN_EXE_btlaunchmanycurses");
/// Longest wait for a screen.
const WAIT: Duration = Duration::from_secs(60);
/// Longest wait for the process to exit after `q`.
const STOP: Duration = Duration::from_secs(20);

/// A process whose stdin, stdout and stderr are the slave side of a pseudo-terminal; what it
/// writes is fed to a VT100 emulator on a thread.
struct PtyChild {
    child: Child,
    master: File,
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Drop for PtyChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nonzero(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).expect("a terminal has at least one row and column")
}

fn winsize(rows: u16, cols: u16) -> libc::winsize {
    libc::winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 }
}

impl PtyChild {
    /// Starts `bin` with `args` in `cwd` (also its `$HOME`) on a `rows` x `cols` terminal.
    fn spawn(bin: &str, args: &[&str], cwd: &Path, rows: u16, cols: u16) -> PtyChild {
        let (mut master, mut slave) = (0, 0);
        let ws = winsize(rows, cols);
        // SAFETY: openpty writes two descriptors into the locals; name and termios may be null.
        let rc = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &ws) };
        assert_eq!(rc, 0, "openpty failed: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened by openpty and are owned by nobody else.
        let (master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut cmd = Command::new(bin);
        cmd.args(args).current_dir(cwd).env("HOME", cwd).env("TERM", "xterm-256color");
        cmd.stdin(Stdio::from(slave.try_clone().unwrap()));
        cmd.stdout(Stdio::from(slave.try_clone().unwrap()));
        cmd.stderr(Stdio::from(slave));
        // SAFETY: setsid and ioctl are async-signal-safe; the child makes the pty (its stdin)
        // its controlling terminal so that resizes reach it as SIGWINCH.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap_or_else(|e| panic!("start {bin}: {e}"));
        drop(cmd);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(nonzero(rows), nonzero(cols), 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut input = master.try_clone().unwrap();
        let (s, r) = (screen.clone(), raw.clone());
        let reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            // Ends with EIO once the child and every copy of the slave are gone.
            while let Ok(n) = input.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                s.lock().unwrap().process(&chunk[..n]);
                r.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        PtyChild { child, master, screen, raw, reader: Some(reader) }
    }

    /// The screen's rows as text.
    fn rows(&self) -> Vec<String> {
        let p = self.screen.lock().unwrap();
        let cols = p.screen().size().1;
        p.screen().rows(0, cols.get()).collect()
    }

    /// Waits until `done` holds for the screen's rows; returns them. Panics after `within`.
    fn wait_screen(&mut self, what: &str, within: Duration, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + within;
        loop {
            let rows = self.rows();
            if done(&rows) {
                return rows;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("exited ({status}) before {what}; screen:\n{}", rows.join("\n"));
            }
            assert!(Instant::now() < deadline, "no {what} within {within:?}; screen:\n{}", rows.join("\n"));
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `bytes` on the terminal.
    fn type_keys(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).unwrap();
    }

    /// Resizes the terminal (the kernel sends SIGWINCH to the child) and the emulator.
    fn resize(&mut self, rows: u16, cols: u16) {
        use std::os::fd::AsRawFd;
        let ws = winsize(rows, cols);
        // The emulator is resized first and stays locked until the kernel has the new size, so
        // no output drawn for the new size is ever parsed at the old one (it would wrap).
        let mut screen = self.screen.lock().unwrap();
        screen.screen_mut().set_size(nonzero(rows), nonzero(cols));
        // SAFETY: TIOCSWINSZ reads a winsize from the pointer, which points to a live local.
        let rc = unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
        assert_eq!(rc, 0, "TIOCSWINSZ: {}", std::io::Error::last_os_error());
    }

    /// Waits (bounded) for the exit; returns the status and everything the process wrote.
    fn wait_exit(&mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + STOP;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "still running {STOP:?} after q; screen:\n{}", self.rows().join("\n"));
            std::thread::sleep(Duration::from_millis(50));
        };
        // The reader ends when the last slave copy closes (the child's); give it a moment.
        let reader = self.reader.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !reader.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let raw = String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned();
        (status, raw)
    }
}

/// The value right of `label` on the first row that holds it.
fn field(rows: &[String], label: &str) -> Option<String> {
    let row = rows.iter().find(|r| r.contains(label))?;
    let at = row.find(label)? + label.len();
    Some(row[at..].trim().trim_end_matches('│').trim().to_string())
}

/// A seeder on loopback (our own engine) for the torrents in `torrents`, their data under
/// `data`; returns it once every torrent seeds and the tracker knows it.
fn seeder(tracker: &Bttrack, torrents: &[&Path], data: &Path) -> bitgocho::session::Session {
    let session = common::loopback_session();
    for t in torrents {
        let meta = Arc::new(bitgocho::metainfo::Metainfo::from_file(t).unwrap());
        let hash = meta.info_hash_v1().unwrap();
        let handle = session.add_torrent(bitgocho::session::AddParams::new(meta, data)).unwrap();
        common::wait_complete(&handle, WAIT);
        // Leechers learn of the seeder from the tracker: it must be there before they ask.
        common::wait_for("the seeder on the tracker", WAIT, || tracker.registered(&hash) >= 1);
    }
    session
}

/// `dir/seed/<name>` with `len` bytes and its torrent (32 KiB pieces) announcing to `url`.
fn content(dir: &Path, name: &str, len: usize, seed: u64, url: &str, out: &Path) -> (PathBuf, Vec<u8>) {
    let original = dir.join("seed").join(name);
    let data = common::data_file(&original, len, seed);
    let (torrent, _) = common::mktorrent(&original, out, 15, Some(url));
    (torrent, data)
}

fn free_port() -> String {
    common::ports::free_port().to_string()
}

/// A download through bttrack from our engine in a 100x30 terminal, with `extra` options.
struct Run {
    ui: PtyChild,
    data: Vec<u8>,
    leech: PathBuf,
    _seed: bitgocho::session::Session,
}

fn start_download(dir: &Path, tracker: &Bttrack, extra: &[&str]) -> Run {
    let (torrent, data) = content(dir, "payload.bin", 1_500_000, 7, &tracker.url(), &dir.join("payload.torrent"));
    let seed = seeder(tracker, &[&torrent], &dir.join("seed"));
    let leech = dir.join("leech/payload.bin");
    std::fs::create_dir_all(leech.parent().unwrap()).unwrap();
    let port = free_port();
    let (t, l) = (torrent.to_str().unwrap().to_string(), leech.to_str().unwrap().to_string());
    let mut args = vec!["--minport", &port, "--maxport", &port, "--display_interval", "0.2", "--saveas", &l];
    args.extend(extra);
    args.push(&t);
    let ui = PtyChild::spawn(CURSES, &args, dir, 30, 100);
    Run { ui, data, leech, _seed: seed }
}

impl Run {
    /// Waits for `download succeeded!` and checks the labelled fields; returns the screen.
    fn wait_succeeded(&mut self) -> Vec<String> {
        let rows = self.ui.wait_screen("download succeeded!", WAIT, |r| {
            field(r, "status:").as_deref() == Some("download succeeded!")
        });
        for label in [
            "file:",
            "size:",
            "dest:",
            "progress:",
            "status:",
            "dl speed:",
            "ul speed:",
            "sharing:",
            "seeds:",
            "peers:",
        ] {
            assert!(field(&rows, label).is_some(), "no {label} on the screen:\n{}", rows.join("\n"));
        }
        assert_eq!(field(&rows, "file:").unwrap(), "payload.bin");
        assert_eq!(field(&rows, "size:").unwrap(), "1,500,000 (1.4 MiB)");
        assert_eq!(field(&rows, "dest:").unwrap(), self.leech.to_str().unwrap());
        let bar = field(&rows, "progress:").unwrap();
        assert!(bar.len() > 40 && bar.chars().all(|c| c == '#'), "progress bar not full: {bar:?}");
        rows
    }

    /// Types `key`, expects exit 0 and the original bytes; returns what the process wrote.
    fn quit_with(&mut self, key: &[u8]) -> String {
        self.ui.type_keys(key);
        let (status, output) = self.ui.wait_exit();
        assert!(status.success(), "exit after {key:?}: {status:?}\n{output}");
        assert!(std::fs::read(&self.leech).unwrap() == self.data, "downloaded bytes differ from the original");
        output
    }
}

#[test]
fn downloads_in_a_terminal_resizes_and_quits_with_q() {
    let dir = tempfile::tempdir().unwrap();
    let tracker = Bttrack::start(&dir.path().join("dstate"));
    let mut run = start_download(dir.path(), &tracker, &[]);
    run.wait_succeeded();
    let meta = bitgocho::metainfo::Metainfo::from_file(&dir.path().join("payload.torrent")).unwrap();
    let hash = meta.info_hash_v1().unwrap();
    common::wait_for("seeder and leecher on the tracker", WAIT, || tracker.registered(&hash) == 2);
    // The border follows a resize (SIGWINCH) to 120 columns; Ctrl-L repaints everything.
    run.ui.resize(30, 120);
    run.ui.wait_screen("a 120-column frame", WAIT, |r| r[0].chars().count() == 120 && r[0].ends_with('┐'));
    run.ui.type_keys(b"\x0c");
    run.ui.wait_screen("the screen after Ctrl-L", WAIT, |r| {
        field(r, "status:").as_deref() == Some("download succeeded!")
    });
    let output = run.quit_with(b"q");
    assert!(!output.contains("These errors occurred"), "unexpected errors:\n{output}");
    // Quitting announced `stopped`: only the seeder is left on the tracker.
    common::wait_for("the leecher's stopped announce", WAIT, || tracker.registered(&hash) == 1);
}

#[test]
fn spew_shows_the_peer_table() {
    let dir = tempfile::tempdir().unwrap();
    let tracker = Bttrack::start(&dir.path().join("dstate"));
    // 1.5 MB at 400 kB/s: about four seconds with the seeder connected.
    let mut run = start_download(dir.path(), &tracker, &["--spew", "1", "--max_download_rate", "400"]);
    let rows = run.ui.wait_screen("the seeder in the peer table", WAIT, |r| {
        r.iter().any(|l| l.contains("127.0.0.1:") && l.contains("100.0%") && l.contains("KB/s"))
    });
    assert!(rows.iter().any(|l| l.contains("# IP")), "no table header:\n{}", rows.join("\n"));
    assert!(rows.iter().any(|l| l.contains(" of 46 pieces completed")), "no summary:\n{}", rows.join("\n"));
    let rows = run.wait_succeeded();
    assert!(
        rows.iter().any(|l| l.contains("46 of 46 pieces completed")),
        "no final pieces summary (1.5 MB in 32 KiB pieces):\n{}",
        rows.join("\n")
    );
    run.quit_with(b"Q");
}

#[test]
fn errors_are_listed_after_exit() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("seed/payload.bin");
    common::data_file(&original, 100_000, 3);
    // A tracker nobody listens on: the announce fails and the error is shown and kept.
    let url = format!("http://127.0.0.1:{}/announce", free_port());
    let (torrent, _) = common::mktorrent(&original, &dir.path().join("t.torrent"), 15, Some(&url));
    let port = free_port();
    let args = ["--minport", &port, "--maxport", &port, "--display_interval", "0.2", torrent.to_str().unwrap()];
    let mut ui = PtyChild::spawn(CURSES, &args, dir.path(), 24, 80);
    let rows = ui.wait_screen("a timestamped error", WAIT, |r| {
        r.iter().any(|l| l.starts_with("│[") && l.chars().nth(10) == Some(']'))
    });
    assert!(rows.iter().any(|l| l.contains(" errors ")), "{}", rows.join("\n"));
    ui.type_keys(b"q");
    let (status, output) = ui.wait_exit();
    assert!(status.success(), "exit after q: {status:?}\n{output}");
    let after = output.rsplit("These errors occurred during execution:").next().unwrap();
    assert!(output.contains("These errors occurred during execution:"), "{output}");
    assert!(after.contains('[') && after.contains(']'), "no error listed: {after:?}");
}

#[test]
fn launcher_runs_a_directory_of_two_torrents() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let tracker = Bttrack::start(&root.join("dstate"));
    let torrents = root.join("torrents");
    std::fs::create_dir_all(&torrents).unwrap();
    let (one, one_data) = content(root, "one.bin", 400_000, 1, &tracker.url(), &torrents.join("one.torrent"));
    let (two, two_data) = content(root, "two.bin", 900_000, 2, &tracker.url(), &torrents.join("two.torrent"));
    let _seed = seeder(&tracker, &[&one, &two], &root.join("seed"));
    let out = root.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let port = free_port();
    let (t, o) = (torrents.to_str().unwrap(), out.to_str().unwrap());
    let args = [t, "--saveas", o, "--minport", &port, "--maxport", &port, "--display_interval", "0.2"];
    let mut ui = PtyChild::spawn(MANYCURSES, &args, root, 30, 100);
    let rows = ui.wait_screen("both torrents seeding", WAIT, |r| {
        r.iter().filter(|l| l.contains("(100.0%) seeding")).count() == 2
    });
    let header = rows.iter().find(|l| l.contains("Filename")).expect("table header");
    for column in ["#", "Size", "Download", "Upload"] {
        assert!(header.contains(column), "no {column} column: {header}");
    }
    // display_path 0 by default: torrents are shown by info.name.
    assert!(rows.iter().any(|l| l.contains("  1 one.bin") || l.contains("  1 two.bin")), "{}", rows.join("\n"));
    assert!(rows.iter().any(|l| l.contains("Totals (2 torrents, 2 seeding)")), "{}", rows.join("\n"));
    let added = rows.iter().filter(|l| l.contains(" - added \"")).count();
    assert_eq!(added, 2, "messages:\n{}", rows.join("\n"));
    ui.type_keys(b"q");
    let (status, output) = ui.wait_exit();
    assert!(status.success(), "exit after q: {status:?}\n{output}");
    // saveas_style 2 by default: data named by info.name under --saveas.
    assert_eq!(std::fs::read(out.join("one.bin")).unwrap(), one_data);
    assert_eq!(std::fs::read(out.join("two.bin")).unwrap(), two_data);
}

#[test]
fn refuses_a_stdout_that_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    for (bin, arg, plain) in [(CURSES, "x.torrent", "btdownloadheadless"), (MANYCURSES, ".", "btlaunchmany")] {
        let out = Command::new(bin).arg(arg).current_dir(dir.path()).env("HOME", dir.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{bin}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("needs a terminal") && err.contains(plain), "{bin}: {err}");
        assert!(out.stdout.is_empty(), "{bin} drew on a pipe");
    }
}

#[test]
fn no_arguments_print_the_usage() {
    let out = Command::new(CURSES).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Usage: btdownloadcurses <global options>\n"), "{text}");
    assert!(text.contains("--spew <arg>") && text.contains("--max_uploads <arg>"), "{text}");
    let out = Command::new(MANYCURSES).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a missing directory is a usage error, as for btlaunchmany");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Usage: btlaunchmanycurses <directory> <global options>\n"), "{text}");
    assert!(text.contains("(defaults to 2)"), "saveas_style defaults to 2: {text}");
}
