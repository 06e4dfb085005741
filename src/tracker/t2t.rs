//! Tracker-to-tracker (T2T) peer sharing, sans I/O (BitTornado's `T2T.py`, §4.9): for every
//! other tracker in an allowed torrent's announce-list, poll it every
//! `multitracker_reannounce_interval` (first poll staggered randomly) with a "snoop" announce
//! under our own tracker id, and keep the peers of its last [`KEPT_POLLS`] replies, which the
//! tracker hands out as leechers.
//!
//! Rules: a tracker answering `disallowed` (it is us, or it refuses T2T) is abandoned for
//! every torrent; [`MAX_REJECTIONS`] other refusals drop that (tracker, torrent) pair; after
//! [`ERRORS_BEFORE_BACKOFF`] consecutive errors the poll interval doubles each time, up to 16
//! times. A reply's `min interval` is honoured for plain polls (see below), which register us.
//!
//! The snoop is BitTornado's (`event=stopped&port=0&left=1&tracker=1`), which registers nothing.
//! Trackers that answer a `stopped` announce with no peers although their swarm is not empty
//! (opentracker does) are polled afterwards without the `stopped` event: that lists our
//! tracker as one port-0 leecher there, which clients ignore.

use super::query::InfoHash;
use crate::announce::response::AnnounceReply;
use crate::announce::url::percent_encode;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;

/// Replies whose peers are kept per (tracker, torrent).
pub const KEPT_POLLS: usize = 10;
/// Refusals (other than `disallowed`) after which a torrent is no longer polled at a tracker.
pub const MAX_REJECTIONS: u32 = 3;
/// Consecutive errors after which the poll interval grows.
pub const ERRORS_BEFORE_BACKOFF: u32 = 3;
/// Most harvested peers kept per torrent over all its trackers.
pub const MAX_HARVEST: usize = 1000;
/// Most (tracker, torrent) pairs polled; announce-lists beyond this are ignored.
pub const MAX_TARGETS: usize = 10_000;

/// T2T settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct T2tSettings {
    /// Seconds between polls of one (tracker, torrent) pair.
    pub interval: u64,
    /// `numwant` of each poll.
    pub max_peers: u32,
    /// Our tracker id, sent as `peer_id` (a tracker seeing its own id refuses: no self-polls).
    pub tracker_id: [u8; 20],
}

/// One poll to make: an HTTP GET of `url`, answered with [`T2t::on_reply`] or [`T2t::on_error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct T2tPoll {
    /// Which target it is for (pass back with the result; stays valid across [`T2t::sync`]).
    pub target: u64,
    /// The full announce URL.
    pub url: String,
}

#[derive(Debug, Clone)]
struct Target {
    id: u64,
    tracker: String,
    info_hash: InfoHash,
    next_due: u64,
    in_flight: bool,
    errors: u32,
    rejections: u32,
    dropped: bool,
    polls: VecDeque<Vec<SocketAddr>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct TrackerState {
    disallowed: bool,
    /// Answers `stopped` snoops with no peers: poll without the event.
    no_stopped: bool,
}

/// The T2T poller of one tracker.
#[derive(Debug, Clone)]
pub struct T2t {
    settings: T2tSettings,
    targets: Vec<Target>,
    trackers: HashMap<String, TrackerState>,
    stagger: u64,
    next_id: u64,
}

/// A tracker URL we can poll (http or https; UDP trackers are skipped).
fn pollable(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

impl T2t {
    /// A poller with no targets; `seed` staggers the first polls.
    pub fn new(settings: T2tSettings, seed: u64) -> T2t {
        T2t { settings, targets: Vec::new(), trackers: HashMap::new(), stagger: seed | 1, next_id: 0 }
    }

    /// The settings.
    pub fn settings(&self) -> &T2tSettings {
        &self.settings
    }

    fn next_stagger(&mut self) -> u64 {
        // xorshift: only spreads first polls over the interval.
        self.stagger ^= self.stagger << 13;
        self.stagger ^= self.stagger >> 7;
        self.stagger ^= self.stagger << 17;
        self.stagger % self.settings.interval.max(1)
    }

    /// Makes the targets those of `torrents` (info-hash, announce-list tiers): new pairs get a
    /// randomly staggered first poll, pairs no longer listed are forgotten with their peers.
    pub fn sync<'a>(&mut self, torrents: impl IntoIterator<Item = (InfoHash, &'a [Vec<String>])>, now: u64) {
        let mut wanted: HashSet<(String, InfoHash)> = HashSet::new();
        for (h, tiers) in torrents {
            for url in tiers.iter().flatten().map(|u| u.trim()).filter(|u| pollable(u)) {
                if wanted.len() < MAX_TARGETS {
                    wanted.insert((url.to_string(), h));
                }
            }
        }
        self.targets.retain(|t| wanted.remove(&(t.tracker.clone(), t.info_hash)));
        let mut fresh: Vec<_> = wanted.into_iter().collect();
        fresh.sort();
        for (tracker, info_hash) in fresh {
            let next_due = now + self.next_stagger();
            self.next_id += 1;
            self.targets.push(Target {
                id: self.next_id,
                tracker,
                info_hash,
                next_due,
                in_flight: false,
                errors: 0,
                rejections: 0,
                dropped: false,
                polls: VecDeque::new(),
            });
        }
    }

    /// Number of (tracker, torrent) pairs still polled.
    pub fn active_targets(&self) -> usize {
        self.targets.iter().filter(|t| self.live(t)).count()
    }

    fn live(&self, t: &Target) -> bool {
        !t.dropped && !self.trackers.get(&t.tracker).is_some_and(|s| s.disallowed)
    }

    /// Up to `max` polls due at `now`; each is in flight until its result comes back.
    pub fn due(&mut self, now: u64, max: usize) -> Vec<T2tPoll> {
        let mut out = Vec::new();
        for i in 0..self.targets.len() {
            if out.len() >= max {
                break;
            }
            let t = &self.targets[i];
            if t.in_flight || t.next_due > now || !self.live(t) {
                continue;
            }
            let url = self.poll_url(t);
            self.targets[i].in_flight = true;
            out.push(T2tPoll { target: self.targets[i].id, url });
        }
        out
    }

    fn poll_url(&self, t: &Target) -> String {
        let mut q = String::with_capacity(t.tracker.len() + 200);
        q.push_str(&t.tracker);
        q.push(if t.tracker.contains('?') { '&' } else { '?' });
        q.push_str("info_hash=");
        percent_encode(&t.info_hash, &mut q);
        q.push_str("&peer_id=");
        percent_encode(&self.settings.tracker_id, &mut q);
        let stopped = !self.trackers.get(&t.tracker).is_some_and(|s| s.no_stopped);
        if stopped {
            q.push_str("&event=stopped");
        }
        q.push_str(&format!(
            "&port=0&uploaded=0&downloaded=0&left=1&tracker=1&compact=1&numwant={}",
            self.settings.max_peers
        ));
        q
    }

    /// Takes a poll's reply body; returns the torrent whose harvest changed.
    pub fn on_reply(&mut self, target: u64, body: &[u8], now: u64) -> Option<InfoHash> {
        let interval = self.settings.interval;
        let t = self.targets.iter_mut().find(|t| t.id == target)?;
        t.in_flight = false;
        let h = t.info_hash;
        match AnnounceReply::parse(body) {
            Ok(reply) => {
                t.errors = 0;
                let tracker = t.tracker.clone();
                let state = self.trackers.entry(tracker).or_default();
                // A `stopped` snoop registers nothing: BitTornado's own interval. A plain poll
                // is a real announce there: its `min interval` is honoured.
                let min = if state.no_stopped { u64::from(reply.min_interval.unwrap_or(0)) } else { 0 };
                t.next_due = now + min.max(interval);
                let swarm = reply.complete.unwrap_or(0) + reply.incomplete.unwrap_or(0);
                if reply.peers.is_empty() && swarm > 0 && !state.no_stopped {
                    state.no_stopped = true;
                    t.next_due = now;
                }
                t.polls.push_back(reply.peers);
                if t.polls.len() > KEPT_POLLS {
                    t.polls.pop_front();
                }
                Some(h)
            }
            Err(crate::announce::response::ReplyError::Failure(reason)) => {
                if reason.trim() == "disallowed" {
                    let tracker = t.tracker.clone();
                    self.trackers.entry(tracker).or_default().disallowed = true;
                } else {
                    t.rejections += 1;
                    t.dropped = t.rejections >= MAX_REJECTIONS;
                    t.next_due = now + interval;
                }
                let had = !t.polls.is_empty();
                t.polls.clear();
                had.then_some(h)
            }
            Err(_) => {
                // Old opentrackers answer a stopped announce with a bare warning (no interval,
                // no peers): try once without the event before counting errors.
                let state = self.trackers.entry(t.tracker.clone()).or_default();
                if !state.no_stopped {
                    state.no_stopped = true;
                    t.next_due = now;
                    return None;
                }
                self.on_error(target, now);
                None
            }
        }
    }

    /// Takes a failed poll (connection, timeout, HTTP error, unparseable reply).
    pub fn on_error(&mut self, target: u64, now: u64) {
        let interval = self.settings.interval.max(1);
        let Some(t) = self.targets.iter_mut().find(|t| t.id == target) else { return };
        t.in_flight = false;
        t.errors = t.errors.saturating_add(1);
        let factor =
            if t.errors >= ERRORS_BEFORE_BACKOFF { 1u64 << (t.errors - ERRORS_BEFORE_BACKOFF + 1).min(4) } else { 1 };
        t.next_due = now + interval * factor;
    }

    /// The peers harvested for torrent `h` over all its trackers' last polls, without
    /// duplicates, at most [`MAX_HARVEST`].
    pub fn harvest(&self, h: &InfoHash) -> Vec<SocketAddr> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for t in self.targets.iter().filter(|t| t.info_hash == *h && self.live(t)) {
            for p in t.polls.iter().rev().flatten() {
                if out.len() < MAX_HARVEST && seen.insert(*p) {
                    out.push(*p);
                }
            }
        }
        out
    }

    /// The torrents whose harvest is no longer valid after trackers or targets were dropped:
    /// every torrent with a dropped or abandoned target still holding peers (cleared here).
    pub fn take_invalidated(&mut self) -> Vec<InfoHash> {
        let mut out = Vec::new();
        for i in 0..self.targets.len() {
            if !self.live(&self.targets[i]) && !self.targets[i].polls.is_empty() {
                self.targets[i].polls.clear();
                out.push(self.targets[i].info_hash);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> T2tSettings {
        T2tSettings { interval: 120, max_peers: 20, tracker_id: *b"T-bitgocho-abcdefghi" }
    }

    fn tiers(urls: &[&str]) -> Vec<Vec<String>> {
        urls.iter().map(|u| vec![u.to_string()]).collect()
    }

    fn reply(peers: &[&str], complete: u64) -> Vec<u8> {
        let mut compact = Vec::new();
        for p in peers {
            let a: SocketAddr = p.parse().unwrap();
            let SocketAddr::V4(v4) = a else { panic!() };
            compact.extend_from_slice(&v4.ip().octets());
            compact.extend_from_slice(&v4.port().to_be_bytes());
        }
        let mut b =
            format!("d8:completei{complete}e10:incompletei0e8:intervali1800e5:peers{}:", compact.len()).into_bytes();
        b.extend_from_slice(&compact);
        b.push(b'e');
        b
    }

    #[test]
    fn first_polls_are_staggered_and_urls_are_snoops() {
        let mut t = T2t::new(settings(), 7);
        let list = tiers(&["http://a/announce", "udp://b:1", "http://c/ann?x=1"]);
        t.sync([([1; 20], list.as_slice())], 1000);
        assert_eq!(t.active_targets(), 2, "udp trackers are not polled");
        assert!(t.due(999, 10).is_empty());
        let polls = t.due(1000 + 120, 10);
        assert_eq!(polls.len(), 2, "every first poll falls within one interval");
        assert!(t.due(1000 + 120, 10).is_empty(), "in flight");
        let u = &polls.iter().find(|p| p.url.starts_with("http://c/")).unwrap().url;
        assert!(u.starts_with("http://c/ann?x=1&info_hash=%01%01"), "{u}");
        assert!(u.contains("&peer_id=T-bitgocho-abcdefghi&event=stopped&port=0&"), "{u}");
        assert!(u.ends_with("&left=1&tracker=1&compact=1&numwant=20"), "{u}");
    }

    #[test]
    fn harvest_keeps_the_last_ten_polls() {
        let mut t = T2t::new(settings(), 3);
        let list = tiers(&["http://a/announce"]);
        t.sync([([1; 20], list.as_slice())], 0);
        let mut now = 200;
        for i in 0..12u16 {
            let p = t.due(now, 1).pop().expect("due");
            let peer = format!("10.0.0.1:{}", 1000 + i);
            assert_eq!(t.on_reply(p.target, &reply(&[&peer, "10.9.9.9:1"], 1), now), Some([1; 20]));
            now += 120;
        }
        let h = t.harvest(&[1; 20]);
        assert_eq!(h.len(), 11, "10 distinct polled peers plus the common one");
        assert!(!h.contains(&"10.0.0.1:1000".parse().unwrap()), "older polls are forgotten");
        assert!(t.harvest(&[2; 20]).is_empty());
        // A torrent leaving the announce-lists is forgotten with its peers.
        t.sync([], now);
        assert!(t.harvest(&[1; 20]).is_empty());
    }

    #[test]
    fn disallowed_rejections_and_errors() {
        let mut t = T2t::new(settings(), 5);
        let a = tiers(&["http://self/announce", "http://other/announce"]);
        t.sync([([1; 20], a.as_slice()), ([2; 20], a.as_slice())], 0);
        let polls = t.due(120, 10);
        assert_eq!(polls.len(), 4);
        for p in &polls {
            if p.url.starts_with("http://self/") {
                t.on_reply(p.target, b"d14:failure reason10:disallowede", 120);
            } else {
                t.on_reply(p.target, b"d14:failure reason8:rejectede", 120);
            }
        }
        assert_eq!(t.active_targets(), 2, "the tracker answering disallowed is abandoned for both torrents");
        let mut now = 240;
        for _ in 0..2 {
            for p in t.due(now, 10) {
                t.on_reply(p.target, b"d14:failure reason8:rejectede", now);
            }
            now += 120;
        }
        assert_eq!(t.active_targets(), 0, "three refusals drop the pair");
        // Errors: three in a row double the interval.
        let mut t = T2t::new(settings(), 5);
        let b = tiers(&["http://down/announce"]);
        t.sync([([3; 20], b.as_slice())], 0);
        let mut now = 120;
        let mut gaps = Vec::new();
        for _ in 0..5 {
            let p = t.due(now, 1).pop().expect("due");
            t.on_error(p.target, now);
            let next = (now..now + 10_000).find(|&s| t.targets[0].next_due <= s).unwrap();
            gaps.push(next - now);
            now = next;
        }
        assert_eq!(gaps, vec![120, 120, 240, 480, 960]);
        // Garbage is an error too, not a harvest (after one retry without `stopped`).
        let p = t.due(now, 1).pop().unwrap();
        assert_eq!(t.on_reply(p.target, b"<html>", now), None);
        let p = t.due(now, 1).pop().expect("retried at once without stopped");
        assert!(!p.url.contains("event="));
        assert_eq!(t.on_reply(p.target, b"<html>", now), None);
        assert!(t.due(now, 1).is_empty(), "then it is an error");
    }

    #[test]
    fn empty_stopped_replies_switch_to_plain_polls() {
        let mut t = T2t::new(settings(), 9);
        let list = tiers(&["http://ot/announce"]);
        t.sync([([1; 20], list.as_slice())], 0);
        let p = t.due(120, 1).pop().unwrap();
        assert!(p.url.contains("event=stopped"));
        t.on_reply(p.target, &reply(&[], 2), 120);
        let p = t.due(120, 1).pop().expect("repolled at once");
        assert!(!p.url.contains("event="), "{}", p.url);
        let mut with_min = reply(&["10.1.1.1:5"], 2);
        with_min.splice(1..1, b"12:min intervali900e".iter().copied());
        t.on_reply(p.target, &with_min, 120);
        assert_eq!(t.harvest(&[1; 20]), vec!["10.1.1.1:5".parse().unwrap()]);
        assert!(t.due(120 + 899, 1).is_empty(), "plain polls honour min interval");
        assert_eq!(t.due(120 + 900, 1).len(), 1);
        // An empty swarm does not switch.
        let mut t = T2t::new(settings(), 9);
        t.sync([([1; 20], list.as_slice())], 0);
        let p = t.due(120, 1).pop().unwrap();
        t.on_reply(p.target, &reply(&[], 0), 120);
        assert!(t.due(120, 1).is_empty());
    }
}
