//! A minimal HTTP tracker for tests: one thread on 127.0.0.1 answering every announce with a
//! compact list (BEP 23) of the other peers registered for that info-hash so far. Peers are
//! known by the address they connect from and the `port` they announce; `event=stopped`
//! removes them. The thread stops when the [`MiniTracker`] is dropped or after its lifetime.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

type Swarms = Arc<Mutex<HashMap<Vec<u8>, Vec<SocketAddrV4>>>>;

/// A running test tracker.
pub struct MiniTracker {
    addr: SocketAddr,
    swarms: Swarms,
    announces: Arc<Mutex<u32>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MiniTracker {
    /// Starts the tracker; it serves for at most `life`.
    pub fn start(life: Duration) -> MiniTracker {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind tracker");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("tracker address");
        let swarms: Swarms = Arc::default();
        let announces = Arc::new(Mutex::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, a, st) = (swarms.clone(), announces.clone(), stop.clone());
        let thread = std::thread::spawn(move || serve(listener, s, a, st, Instant::now() + life));
        MiniTracker { addr, swarms, announces, stop, thread: Some(thread) }
    }

    /// The announce URL.
    pub fn url(&self) -> String {
        format!("http://{}/announce", self.addr)
    }

    /// Peers currently registered for `info_hash`.
    pub fn peers(&self, info_hash: &[u8; 20]) -> Vec<SocketAddrV4> {
        self.swarms.lock().unwrap().get(&info_hash[..]).cloned().unwrap_or_default()
    }

    /// Announces answered so far.
    pub fn announces(&self) -> u32 {
        *self.announces.lock().unwrap()
    }
}

impl Drop for MiniTracker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(listener: TcpListener, swarms: Swarms, announces: Arc<Mutex<u32>>, stop: Arc<AtomicBool>, end: Instant) {
    while !stop.load(Ordering::Relaxed) && Instant::now() < end {
        match listener.accept() {
            Ok((stream, from)) => {
                if let Some(body) = answer(stream.try_clone().ok(), from, &swarms) {
                    *announces.lock().unwrap() += 1;
                    reply(stream, &body);
                }
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Reads one request and returns the bencoded reply body.
fn answer(stream: Option<TcpStream>, from: SocketAddr, swarms: &Swarms) -> Option<Vec<u8>> {
    let mut stream = stream?;
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16384 {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let line = buf.split(|b| *b == b'\r').next()?;
    let target = line.split(|b| *b == b' ').nth(1)?;
    let query = target.splitn(2, |b| *b == b'?').nth(1)?;
    let params: HashMap<String, Vec<u8>> = query
        .split(|b| *b == b'&')
        .filter_map(|kv| {
            let mut it = kv.splitn(2, |b| *b == b'=');
            Some((String::from_utf8_lossy(it.next()?).into_owned(), percent_decode(it.next()?)))
        })
        .collect();
    let hash = params.get("info_hash")?.clone();
    let port: u16 = std::str::from_utf8(params.get("port")?).ok()?.parse().ok()?;
    let ip = match from.ip() {
        std::net::IpAddr::V4(ip) => ip,
        std::net::IpAddr::V6(_) => return None,
    };
    let me = SocketAddrV4::new(ip, port);
    let stopped = params.get("event").is_some_and(|e| e == b"stopped");
    let mut map = swarms.lock().unwrap();
    let swarm = map.entry(hash).or_default();
    swarm.retain(|p| *p != me);
    let others: Vec<u8> =
        swarm.iter().flat_map(|p| p.ip().octets().into_iter().chain(p.port().to_be_bytes())).collect();
    if !stopped {
        swarm.push(me);
    }
    let mut body =
        format!("d8:completei0e10:incompletei0e8:intervali5e12:min intervali1e5:peers{}:", others.len()).into_bytes();
    body.extend_from_slice(&others);
    body.push(b'e');
    Some(body)
}

fn reply(mut stream: TcpStream, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        if s[i] == b'%' && i + 2 < s.len() {
            if let (Some(h), Some(l)) = (hex(s[i + 1]), hex(s[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(if s[i] == b'+' { b' ' } else { s[i] });
        i += 1;
    }
    out
}
