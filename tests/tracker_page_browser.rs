//! The tracker's info page in a real browser: bttrack with a few torrents announced, `/`
//! loaded in headless Chromium; the page loads, the totals row adds up, and the browser logs
//! no console message (error or otherwise). A screenshot is kept in the target directory.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[allow(dead_code, reason = "this test uses only part of the shared helpers")]
mod common;

const CHROMIUM: &str = "/usr/bin/chromium";

fn announce(addr: SocketAddr, hash: &[u8; 20], peer: u8, left: u64, event: &str) {
    let pct = |b: &[u8]| b.iter().map(|c| format!("%{c:02x}")).collect::<String>();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /announce?info_hash={}&peer_id={}&port=6881&uploaded=0&downloaded=0&left={left}&compact=1{event} HTTP/1.0\r\n\r\n",
        pct(hash),
        pct(&[peer; 20])
    )
    .unwrap();
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).unwrap();
    assert!(reply.starts_with(b"HTTP/1.0 200"), "{}", String::from_utf8_lossy(&reply));
}

/// Runs headless Chromium on `url`: (dumped DOM, console lines from its log).
fn chromium(url: &str, profile: &Path, screenshot: Option<&Path>) -> (String, Vec<String>) {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install the chromium package (tests/install-deps.sh)"
    );
    let mut cmd = Command::new(CHROMIUM);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=3000",
        "--window-size=1100,700",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.display()));
    match screenshot {
        Some(p) => cmd.arg(format!("--screenshot={}", p.display())),
        None => cmd.arg("--dump-dom"),
    };
    let out = cmd.arg(url).output().expect("run chromium");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    let console =
        String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.contains(":CONSOLE")).map(String::from).collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

/// The numbers in the cells of the page's totals row (`<tfoot>`).
fn totals(dom: &str) -> (String, Vec<u64>) {
    let start = dom.find("<tfoot>").expect("no totals row");
    let foot = &dom[start..start + dom[start..].find("</tfoot>").unwrap()];
    let cells: Vec<String> = foot
        .split("<td")
        .skip(1)
        .map(|c| {
            let body = &c[c.find('>').unwrap() + 1..];
            body[..body.find("</td>").unwrap()].to_string()
        })
        .collect();
    let nums = cells[1..].iter().filter_map(|c| c.trim().parse().ok()).collect();
    (cells[0].clone(), nums)
}

#[test]
fn console_detection_catches_a_page_error() {
    let dir = tempfile::tempdir().unwrap();
    let (_, console) = chromium("data:text/html,<script>notDefinedAnywhere()</script>", dir.path(), None);
    assert!(console.iter().any(|l| l.contains("notDefinedAnywhere")), "{console:?}");
}

#[test]
fn info_page_loads_in_chromium_with_correct_totals_and_no_console_output() {
    let dir = tempfile::tempdir().unwrap();
    let t = common::bttrack::Bttrack::start(&dir.path().join("dstate"));
    let addr = t.addr();
    let hashes = [[0x01u8; 20], [0x02u8; 20], [0x03u8; 20]];
    // Torrent 1: 2 seeds, 1 leecher; torrent 2: 1 leecher that completes; torrent 3: 3 leechers.
    announce(addr, &hashes[0], 1, 0, "");
    announce(addr, &hashes[0], 2, 0, "");
    announce(addr, &hashes[0], 3, 10, "");
    announce(addr, &hashes[1], 4, 10, "&event=started");
    announce(addr, &hashes[1], 4, 0, "&event=completed");
    for p in 5..8 {
        announce(addr, &hashes[2], p, 10, "");
    }
    let url = format!("http://{addr}/");
    let (dom, console) = chromium(&url, &dir.path().join("profile"), None);
    assert!(console.is_empty(), "console output: {console:?}");
    assert!(dom.contains("<table") && dom.contains("</html>"), "page did not load: {dom}");
    for h in &hashes {
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        assert!(dom.contains(&hex), "row for {hex} missing");
    }
    let (label, nums) = totals(&dom);
    assert_eq!(label, "3 files");
    assert_eq!(nums, vec![3, 4, 1], "totals (complete, downloading, downloaded)");
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tracker-page.png");
    let _ = std::fs::remove_file(&shot);
    let (_, console) = chromium(&url, &dir.path().join("profile2"), Some(&shot));
    assert!(console.is_empty(), "console output: {console:?}");
    assert!(std::fs::metadata(&shot).map(|m| m.len() > 1000).unwrap_or(false), "no screenshot at {}", shot.display());
}
