//! NAT check ("is this peer reachable?"): the core queues [`NatJob`]s and never blocks on
//! them; [`NatChecker`] is a small driver that runs them on a few worker threads (connect,
//! send a BitTorrent handshake, read the peer's, each step with a timeout) and hands results
//! back to the tracker with [`NatChecker::pump`].
//!
//! A check succeeds iff the peer answers with a handshake carrying the same info-hash and the
//! peer id it announced. Peers that announced `requirecrypto` are checked over MSE (the same
//! sans-I/O handshake the engine uses, our handshake as its initial payload), others in
//! plaintext.

use super::core::Tracker;
use super::query::{InfoHash, PeerId};
use crate::wire::mse::{MseHandshake, MsePolicy, MseSecret, CRYPTO_PLAINTEXT, CRYPTO_RC4};
use crate::wire::Handshake;
use crossbeam_channel::{bounded, unbounded, Receiver, Sender, TrySendError};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The peer id the tracker presents in NAT-check handshakes.
pub const NAT_CHECK_PEER_ID: &[u8; 20] = b"-BG0100-natcheck0000";

/// One connect-back check to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatJob {
    /// The torrent the peer announced.
    pub info_hash: InfoHash,
    /// The peer id it announced.
    pub peer_id: PeerId,
    /// Where it said it listens.
    pub addr: SocketAddr,
    /// It announced `requirecrypto`: check over MSE.
    pub require_crypto: bool,
}

/// Most bytes an MSE peer may send before its handshake completes (96 + 512 + 8 + 6 + 512 + 68).
const MSE_READ_LIMIT: usize = 1300;

/// The 68-byte handshake the checker sends for `info_hash`.
pub fn handshake(info_hash: &InfoHash, peer_id: &PeerId) -> [u8; 68] {
    Handshake { reserved: [0; 8], info_hash: *info_hash, peer_id: *peer_id }.encode()
}

/// Runs one check synchronously: true when the peer answered with the expected handshake
/// within `timeout` per step.
pub fn check_peer(job: &NatJob, timeout: Duration) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&job.addr, timeout) else { return false };
    if s.set_read_timeout(Some(timeout)).is_err() || s.set_write_timeout(Some(timeout)).is_err() {
        return false;
    }
    let reply = if job.require_crypto {
        match mse_exchange(&mut s, job, Instant::now() + 4 * timeout) {
            Some(r) => r,
            None => return false,
        }
    } else {
        if s.write_all(&handshake(&job.info_hash, NAT_CHECK_PEER_ID)).is_err() {
            return false;
        }
        let mut reply = [0u8; 68];
        if s.read_exact(&mut reply).is_err() {
            return false;
        }
        reply
    };
    Handshake::decode(&reply).is_ok_and(|h| h.is_some_and(|h| h.info_hash == job.info_hash && h.peer_id == job.peer_id))
}

/// Runs an MSE handshake as initiator carrying our plain handshake, and returns the peer's
/// (decrypted) 68-byte handshake; `None` on any failure or after `deadline`.
fn mse_exchange(s: &mut TcpStream, job: &NatJob, deadline: Instant) -> Option<[u8; 68]> {
    let policy = MsePolicy { methods: CRYPTO_PLAINTEXT | CRYPTO_RC4, prefer_rc4: false };
    let ia = handshake(&job.info_hash, NAT_CHECK_PEER_ID).to_vec();
    let mut hs = MseHandshake::initiator(job.info_hash, policy, ia, MseSecret::random(&mut rand::rng()));
    s.write_all(&hs.take_output()).ok()?;
    let no_lookup = |_: &[u8; 20]| None;
    let (mut buf, mut total, mut chunk) = (Vec::new(), 0usize, [0u8; 1024]);
    let mut done = None;
    while done.is_none() || buf.len() < 68 {
        if Instant::now() > deadline || total > MSE_READ_LIMIT {
            return None;
        }
        let n = s.read(&mut chunk).ok().filter(|n| *n > 0)?;
        total += n;
        buf.extend_from_slice(&chunk[..n]);
        if done.is_none() {
            let used = hs.feed(&buf, &no_lookup).ok()?;
            buf.drain(..used);
            s.write_all(&hs.take_output()).ok()?;
            done = hs.finish();
        }
    }
    let mut reply = [0u8; 68];
    reply.copy_from_slice(&buf[..68]);
    if let Some(streams) = done.as_mut().and_then(|d| d.streams.as_mut()) {
        streams.recv.apply(&mut reply);
    }
    Some(reply)
}

/// Worker threads running NAT checks, fed from the tracker's queue.
pub struct NatChecker {
    jobs: Option<Sender<NatJob>>,
    stop: Arc<AtomicBool>,
    results: Receiver<(NatJob, bool)>,
    workers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for NatChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatChecker").field("workers", &self.workers.len()).finish()
    }
}

impl NatChecker {
    /// Starts `workers` threads (at least one), each check step bounded by `timeout`; at most
    /// `capacity` jobs wait. Dropping the checker abandons waiting jobs and joins the workers
    /// (each finishes at most the check it is running).
    pub fn new(workers: usize, timeout: Duration, capacity: usize) -> Self {
        let (jtx, jrx) = bounded::<NatJob>(capacity.max(1));
        let (rtx, rrx) = unbounded::<(NatJob, bool)>();
        let stop = Arc::new(AtomicBool::new(false));
        let workers = (0..workers.max(1))
            .map(|i| {
                let jrx = jrx.clone();
                let rtx = rtx.clone();
                let stop = stop.clone();
                std::thread::Builder::new()
                    .name(format!("natcheck-{i:02}"))
                    .spawn(move || {
                        for job in jrx.iter() {
                            if stop.load(Ordering::Relaxed) {
                                break;
                            }
                            let ok = check_peer(&job, timeout);
                            if rtx.send((job, ok)).is_err() {
                                break;
                            }
                        }
                    })
                    .expect("spawn NAT check worker")
            })
            .collect();
        NatChecker { jobs: Some(jtx), stop, results: rrx, workers }
    }

    /// Queues a job; false when the queue is full (the peer is checked again on its next
    /// announce).
    pub fn submit(&self, job: NatJob) -> bool {
        match self.jobs.as_ref().map(|tx| tx.try_send(job)) {
            Some(Ok(())) => true,
            Some(Err(TrySendError::Full(_) | TrySendError::Disconnected(_))) | None => false,
        }
    }

    /// Results finished so far, without waiting.
    pub fn results(&self) -> Vec<(NatJob, bool)> {
        self.results.try_iter().collect()
    }

    /// Waits up to `timeout` for one result.
    pub fn wait_result(&self, timeout: Duration) -> Option<(NatJob, bool)> {
        self.results.recv_timeout(timeout).ok()
    }

    /// Moves queued jobs from `tracker` to the workers and finished results back. Never
    /// blocks; returns (jobs submitted, results delivered).
    pub fn pump(&self, tracker: &Tracker, now: u64) -> (usize, usize) {
        let mut submitted = 0;
        for job in tracker.take_nat_jobs(256) {
            if self.submit(job) {
                submitted += 1;
            } else {
                tracker.nat_result(&job, false, now);
            }
        }
        let results = self.results();
        for (job, ok) in &results {
            tracker.nat_result(job, *ok, now);
        }
        (submitted, results.len())
    }
}

impl Drop for NatChecker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A loopback listener that answers one handshake with `reply_id` (or stays silent).
    fn peer(reply: Option<(InfoHash, PeerId)>) -> (SocketAddr, JoinHandle<()>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut got = [0u8; 68];
            s.read_exact(&mut got).unwrap();
            assert_eq!(&got[1..20], &crate::wire::handshake::PROTOCOL[1..]);
            match reply {
                Some((ih, id)) => s.write_all(&handshake(&ih, &id)).unwrap(),
                None => std::thread::sleep(Duration::from_millis(600)),
            }
        });
        (addr, t)
    }

    #[test]
    fn answering_peer_passes() {
        let (addr, t) = peer(Some(([5; 20], [6; 20])));
        assert!(check_peer(
            &NatJob { info_hash: [5; 20], peer_id: [6; 20], addr, require_crypto: false },
            Duration::from_secs(3)
        ));
        t.join().unwrap();
    }

    #[test]
    fn wrong_peer_id_or_silence_or_closed_port_fails() {
        let (addr, t) = peer(Some(([5; 20], [7; 20])));
        assert!(!check_peer(
            &NatJob { info_hash: [5; 20], peer_id: [6; 20], addr, require_crypto: false },
            Duration::from_secs(3)
        ));
        t.join().unwrap();
        let (addr, t) = peer(None);
        let start = std::time::Instant::now();
        assert!(!check_peer(
            &NatJob { info_hash: [5; 20], peer_id: [6; 20], addr, require_crypto: false },
            Duration::from_millis(300)
        ));
        assert!(start.elapsed() < Duration::from_secs(2), "the read timeout bounds a silent peer");
        t.join().unwrap();
        let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        assert!(!check_peer(
            &NatJob { info_hash: [5; 20], peer_id: [6; 20], addr: closed, require_crypto: false },
            Duration::from_secs(1)
        ));
    }

    #[test]
    fn workers_run_jobs() {
        let checker = NatChecker::new(2, Duration::from_secs(3), 8);
        let (addr, t) = peer(Some(([1; 20], [2; 20])));
        let job = NatJob { info_hash: [1; 20], peer_id: [2; 20], addr, require_crypto: false };
        assert!(checker.submit(job));
        assert_eq!(checker.wait_result(Duration::from_secs(5)), Some((job, true)));
        t.join().unwrap();
    }

    #[test]
    fn dropping_abandons_queued_jobs_quickly() {
        let silent = TcpListener::bind("127.0.0.1:0").unwrap(); // accepts (backlog) but never answers
        let addr = silent.local_addr().unwrap();
        let checker = NatChecker::new(1, Duration::from_millis(500), 16);
        for i in 0..16u8 {
            assert!(checker.submit(NatJob { info_hash: [i; 20], peer_id: [i; 20], addr, require_crypto: false }));
        }
        let start = std::time::Instant::now();
        drop(checker);
        assert!(start.elapsed() < Duration::from_secs(3), "took {:?}", start.elapsed());
    }
}
