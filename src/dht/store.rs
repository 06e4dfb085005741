//! What this node keeps for others: the peers announced to it per info-hash (bounded, expiring),
//! and the tokens that prove an announcer asked `get_peers` from its own address first.

use sha1::{Digest, Sha1};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

/// Torrents whose peers are kept.
const MAX_TORRENTS: usize = 2_000;
/// Peers kept per torrent.
const MAX_PEERS: usize = 100;
/// Peers given in one answer.
pub const MAX_VALUES: usize = 50;
/// An announce is forgotten after this long (BEP 5 suggests 30 minutes... of silence).
pub const PEER_LIFE: Duration = Duration::from_secs(30 * 60);
/// The token secret changes this often; a token stays valid for two periods.
pub const TOKEN_PERIOD: Duration = Duration::from_secs(5 * 60);

/// Announce tokens: a hash of the querier's IP and a rotating secret.
#[derive(Debug, Clone)]
pub struct Tokens {
    secret: [u8; 16],
    previous: [u8; 16],
    rotated: Instant,
}

impl Tokens {
    /// Fresh secrets.
    pub fn new(now: Instant) -> Tokens {
        Tokens { secret: rand::random(), previous: rand::random(), rotated: now }
    }

    fn make(secret: &[u8; 16], ip: Ipv4Addr) -> Vec<u8> {
        let mut h = Sha1::new();
        h.update(secret);
        h.update(ip.octets());
        h.finalize()[..8].to_vec()
    }

    /// The token for `ip`.
    pub fn token(&self, ip: Ipv4Addr) -> Vec<u8> {
        Tokens::make(&self.secret, ip)
    }

    /// Whether `token` was given to `ip` in this period or the last.
    pub fn valid(&self, ip: Ipv4Addr, token: &[u8]) -> bool {
        token == Tokens::make(&self.secret, ip) || token == Tokens::make(&self.previous, ip)
    }

    /// Rotates the secret when its period is over.
    pub fn rotate(&mut self, now: Instant) {
        if now.saturating_duration_since(self.rotated) >= TOKEN_PERIOD {
            self.previous = self.secret;
            self.secret = rand::random();
            self.rotated = now;
        }
    }
}

/// Peers announced to this node.
#[derive(Debug, Clone, Default)]
pub struct PeerStore {
    torrents: HashMap<[u8; 20], Vec<(SocketAddrV4, Instant)>>,
}

impl PeerStore {
    /// Records `peer` for `info_hash` (refreshing it when known).
    pub fn add(&mut self, info_hash: [u8; 20], peer: SocketAddrV4, now: Instant) {
        if !self.torrents.contains_key(&info_hash) && self.torrents.len() >= MAX_TORRENTS {
            return;
        }
        let peers = self.torrents.entry(info_hash).or_default();
        if let Some(p) = peers.iter_mut().find(|(a, _)| *a == peer) {
            p.1 = now;
        } else if peers.len() < MAX_PEERS {
            peers.push((peer, now));
        } else if let Some(oldest) = peers.iter_mut().min_by_key(|(_, t)| *t) {
            *oldest = (peer, now);
        }
    }

    /// Up to [`MAX_VALUES`] live peers of `info_hash`.
    pub fn get(&self, info_hash: &[u8; 20], now: Instant) -> Vec<SocketAddrV4> {
        let live = |(_, t): &&(SocketAddrV4, Instant)| now.saturating_duration_since(*t) < PEER_LIFE;
        self.torrents
            .get(info_hash)
            .map_or_else(Vec::new, |p| p.iter().filter(live).take(MAX_VALUES).map(|(a, _)| *a).collect())
    }

    /// Forgets expired announces and torrents left without peers.
    pub fn expire(&mut self, now: Instant) {
        for peers in self.torrents.values_mut() {
            peers.retain(|(_, t)| now.saturating_duration_since(*t) < PEER_LIFE);
        }
        self.torrents.retain(|_, p| !p.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_an_ip_for_two_periods() {
        let now = Instant::now();
        let mut t = Tokens::new(now);
        let ip = Ipv4Addr::new(10, 0, 0, 1);
        let tok = t.token(ip);
        assert!(t.valid(ip, &tok));
        assert!(!t.valid(Ipv4Addr::new(10, 0, 0, 2), &tok), "another address");
        t.rotate(now + TOKEN_PERIOD);
        assert!(t.valid(ip, &tok), "still valid one period later");
        t.rotate(now + TOKEN_PERIOD * 2);
        assert!(!t.valid(ip, &tok), "expired after two");
    }

    #[test]
    fn peers_are_bounded_refreshed_and_expire() {
        let now = Instant::now();
        let mut s = PeerStore::default();
        let peer = |n: u16| SocketAddrV4::new(Ipv4Addr::LOCALHOST, n);
        for n in 1..=(MAX_PEERS as u16 + 5) {
            s.add([1; 20], peer(n), now + Duration::from_secs(u64::from(n)));
        }
        assert_eq!(s.torrents[&[1; 20]].len(), MAX_PEERS, "the oldest replaced");
        assert_eq!(s.get(&[1; 20], now).len(), MAX_VALUES);
        assert!(s.get(&[2; 20], now).is_empty());
        s.expire(now + PEER_LIFE + Duration::from_secs(1000));
        assert!(s.torrents.is_empty());
    }
}
