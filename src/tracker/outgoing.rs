//! The tracker's outgoing HTTP requests, sans I/O: T2T polls of other trackers and announces
//! forwarded to an aggregator. A driver (bttrack's, see `front/outgoing.rs`) takes them with
//! [`Tracker::take_outgoing`], performs the GETs, and hands each result back with
//! [`Tracker::outgoing_done`]; harvested peers then join the torrent's hand-out pools.

use super::core::Tracker;
use super::peer::pack_ip;
use super::peer_select::Picked;
use super::query::InfoHash;
use super::t2t::{T2t, T2tSettings};
use std::net::SocketAddr;

/// What an outgoing request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutgoingKind {
    /// A T2T poll of this target.
    T2tPoll(u64),
    /// An announce forwarded to the aggregator (its reply is not used).
    Forward,
}

/// One HTTP GET for the driver to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRequest {
    /// What it is for (pass back to [`Tracker::outgoing_done`]).
    pub kind: OutgoingKind,
    /// The full URL.
    pub url: String,
}

/// A tracker id for T2T polls: `T-bitgocho-` and nine random characters.
pub fn new_tracker_id() -> [u8; 20] {
    const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut id = *b"T-bitgocho-000000000";
    let r: [u8; 9] = rand::random();
    for (slot, b) in id[11..].iter_mut().zip(r) {
        *slot = ALNUM[usize::from(b) % ALNUM.len()];
    }
    id
}

/// The T2T poller for the settings, when `multitracker_enabled`.
pub(crate) fn t2t_for(config: &super::config::TrackerConfig, tracker_id: [u8; 20]) -> Option<T2t> {
    config.multitracker_enabled.then(|| {
        let settings = T2tSettings {
            interval: config.multitracker_reannounce_interval.max(1),
            max_peers: config.multitracker_maxpeers,
            tracker_id,
        };
        T2t::new(settings, rand::random())
    })
}

fn picked(addr: SocketAddr) -> Picked {
    Picked { addr: pack_ip(addr.ip()), port: addr.port(), id: [0; 20], require_crypto: false }
}

impl Tracker {
    /// This tracker's id in T2T polls (a poll carrying it is refused: no polling ourselves).
    pub fn tracker_id(&self) -> [u8; 20] {
        self.tracker_id
    }

    /// True when this tracker makes outgoing requests (T2T polls or aggregator forwards), so
    /// its host must run a driver.
    pub fn makes_outgoing_requests(&self) -> bool {
        self.t2t.is_some() || self.forward.is_some()
    }

    /// Up to `max` outgoing requests due at `now` (Unix seconds): forwards first, then T2T polls.
    pub fn take_outgoing(&self, now: u64, max: usize) -> Vec<OutgoingRequest> {
        let mut out: Vec<OutgoingRequest> = self
            .forwards
            .take(max)
            .into_iter()
            .map(|url| OutgoingRequest { kind: OutgoingKind::Forward, url })
            .collect();
        if let Some(t2t) = &self.t2t {
            let room = max - out.len();
            let polls = t2t.lock().due(now, room);
            out.extend(
                polls.into_iter().map(|p| OutgoingRequest { kind: OutgoingKind::T2tPoll(p.target), url: p.url }),
            );
        }
        out
    }

    /// Takes the result of an outgoing request: the HTTP status and body, or an error text.
    pub fn outgoing_done(&self, kind: OutgoingKind, result: Result<(u16, Vec<u8>), String>, now: u64) {
        let OutgoingKind::T2tPoll(target) = kind else { return };
        let Some(t2t) = &self.t2t else { return };
        let changed = {
            let mut t = t2t.lock();
            let changed = match result {
                Ok((200, body)) => t.on_reply(target, &body, now),
                _ => {
                    t.on_error(target, now);
                    None
                }
            };
            let mut all: Vec<(InfoHash, Vec<Picked>)> = Vec::new();
            for h in changed.into_iter().chain(t.take_invalidated()) {
                all.push((h, t.harvest(&h).into_iter().map(picked).collect()));
            }
            all
        };
        for (h, peers) in changed {
            self.store.set_harvested(&h, peers);
        }
    }

    /// Points the T2T poller at the announce-lists of the allowed_dir torrents.
    pub(crate) fn sync_t2t(&self, now: u64) {
        let Some(t2t) = &self.t2t else { return };
        let allowed = self.allowed.read();
        let torrents: Vec<(InfoHash, &[Vec<String>])> = match &*allowed {
            super::core::AllowedSet::Dir(d) => {
                d.torrents.iter().map(|(h, t)| (*h, t.announce_list.as_slice())).collect()
            }
            _ => Vec::new(),
        };
        let mut t = t2t.lock();
        t.sync(torrents, now);
        for h in t.take_invalidated() {
            self.store.set_harvested(&h, Vec::new());
        }
    }

    /// Queues the forward of one UDP announce to the aggregator, when configured, as the HTTP
    /// query it stands for (with the client's address as `ip`).
    pub(crate) fn forward_udp_announce(&self, a: &super::query::Announce, client: std::net::IpAddr) {
        let Some(f) = &self.forward else { return };
        let mut q = String::with_capacity(256);
        q.push_str("info_hash=");
        crate::announce::url::percent_encode(&a.info_hash, &mut q);
        q.push_str("&peer_id=");
        crate::announce::url::percent_encode(&a.peer_id, &mut q);
        q.push_str(&format!("&port={}&uploaded={}&downloaded={}&left={}", a.port, a.uploaded, a.downloaded, a.left));
        let event = match a.event {
            super::query::Event::Started => "&event=started",
            super::query::Event::Completed => "&event=completed",
            super::query::Event::Stopped => "&event=stopped",
            super::query::Event::None => "",
        };
        q.push_str(event);
        q.push_str("&compact=1&key=");
        crate::announce::url::percent_encode(a.key.as_bytes(), &mut q);
        q.push_str(&format!("&ip={client}"));
        if let Some(url) = f.url_for(q.as_bytes()) {
            self.forwards.push(url);
        }
    }

    /// Queues the forward of one announce query to the aggregator, when configured.
    pub(crate) fn forward_announce(&self, query: &[u8]) {
        if let Some(url) = self.forward.as_ref().and_then(|f| f.url_for(query)) {
            self.forwards.push(url);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::query::{Announce, Event, PeerKey};
    use crate::tracker::TrackerConfig;

    #[test]
    fn udp_announces_are_forwarded_as_http_queries() {
        let mut c = TrackerConfig::default();
        c.set("aggregate_forward", "http://127.0.0.1:9/announce,pw").unwrap();
        let t = Tracker::new(c).unwrap();
        let a = Announce {
            info_hash: [b'a'; 20],
            peer_id: [b'b'; 20],
            port: 6881,
            uploaded: 1,
            downloaded: 2,
            left: 3,
            event: Event::Started,
            compact: Some(true),
            no_peer_id: true,
            numwant: Some(5),
            key: PeerKey::new(b"k"),
            ip: None,
            supportcrypto: false,
            requirecrypto: false,
        };
        t.forward_udp_announce(&a, "10.0.0.5".parse().unwrap());
        let out = t.take_outgoing(0, 10);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].url,
            format!(
                "http://127.0.0.1:9/announce?info_hash={}&peer_id={}&port=6881&uploaded=1&downloaded=2&left=3\
                 &event=started&compact=1&key=k&ip=10.0.0.5&password=pw",
                "a".repeat(20),
                "b".repeat(20)
            )
        );
    }
}
