//! The reactor's side of torrents added from magnet links: adding one, its commands, ticks
//! (announces, dialling, asking for metadata), its connections' messages, and the moment its
//! metadata is in and it becomes a torrent.

use super::{Command, Reactor};
use crate::announce::{AnnounceRequest, TrackerTiers};
use crate::metainfo::Metainfo;
use crate::session::announcer::Announcer;
use crate::session::event::SessionEvent;
use crate::session::magnet::{AddMagnet, MagnetTorrent};
use crate::session::peer::PeerError;
use crate::session::status::StatusCell;
use crate::session::swarm::Swarm;
use crate::session::torrent::{Torrent, TorrentId};
use crate::session::PeerKey;
use crate::wire::{Message, DEFAULT_MAX_MESSAGE_LEN};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

/// The `left` announced while the torrent's size is unknown (libtorrent announces the same).
const LEFT_UNKNOWN: u64 = 16 * 1024;
/// Commands kept for a magnet torrent until its metadata is in, at most.
const MAX_DEFERRED: usize = 64;

impl Reactor {
    /// Adds a torrent from a magnet link: it announces and dials at once to fetch its metadata.
    pub(super) fn add_magnet(&mut self, params: AddMagnet, now: Instant) -> Result<(TorrentId, StatusCell), String> {
        let hash = params.link.info_hash;
        if self.by_hash.contains_key(&hash) {
            return Err("torrent already in the session".into());
        }
        let id = self.next_id;
        self.next_id += 1;
        let tiers: Vec<Vec<String>> = params.link.trackers.iter().map(|t| vec![t.clone()]).collect();
        let tiers = TrackerTiers::new(None, &tiers, &mut rand::rng());
        let announcer = Announcer::new(tiers, rand::random(), now);
        let mut m = MagnetTorrent::new(id, params, announcer, now);
        m.events.push(SessionEvent::Added { torrent: id });
        m.publish();
        let snapshot = m.snapshot.clone();
        self.by_hash.insert(hash, id);
        self.by_req2.insert(crate::wire::mse::req2(&hash), hash);
        self.magnets.insert(id, m);
        self.magnet_tick(id, now);
        Ok((id, snapshot))
    }

    /// A command for a magnet torrent: removal, pause, resume, announce and connect act now;
    /// those that need the metadata (priorities, limits, super-seeding) wait for it.
    pub(super) fn magnet_command(&mut self, cmd: Command, now: Instant) {
        let Some(id) = cmd.torrent() else { return };
        if let Command::Remove(_, _, reply) = cmd {
            return self.remove_magnet(id, reply, now);
        }
        let Some(m) = self.magnets.get_mut(&id) else { return };
        m.status_dirty = true;
        match cmd {
            Command::Pause(_) => {
                m.paused = true;
                m.announcer.stopped(now);
                self.close_connections(id, "paused");
            }
            Command::Resume(_) => {
                m.paused = false;
                m.announcer.force(now);
                m.known.clear();
            }
            Command::Announce(_) => m.announcer.force(now),
            Command::Scrape(_) => self.scrape_now(id, now),
            Command::Connect(_, addr) => {
                m.known.remove(&addr);
                m.add_peers(&[addr], now);
            }
            Command::Recheck(_) => {}
            other => {
                let queue = self.deferred.entry(id).or_default();
                if queue.len() < MAX_DEFERRED {
                    queue.push(other);
                }
            }
        }
        self.magnet_tick(id, now);
    }

    /// Closes every connection of torrent `id`; returns where each may be dialled again.
    fn close_connections(&mut self, id: TorrentId, why: &str) -> Vec<SocketAddr> {
        self.close_connections_but(id, why, |_| false)
    }

    /// Closes the connections of torrent `id` that `keep` does not take; returns where each
    /// closed one may be dialled again.
    fn close_connections_but(
        &mut self,
        id: TorrentId,
        why: &str,
        mut keep: impl FnMut(usize) -> bool,
    ) -> Vec<SocketAddr> {
        let mut again = Vec::new();
        for idx in 0..self.peers.len() {
            if self.peers[idx].as_ref().is_some_and(|s| s.torrent == Some(id)) && !keep(idx) {
                again.extend(self.peers[idx].as_ref().and_then(|s| s.conn.listen_addr()));
                self.close_peer(idx, why);
            }
        }
        again
    }

    /// Hands the connections of magnet torrent `m` that finished their handshakes over to the
    /// torrent it becomes, with what each peer said meanwhile; closes the others (a connection
    /// still handshaking, or one that said too much to keep). Returns the connections kept and
    /// where the closed ones may be dialled again.
    fn hand_over(&mut self, m: &mut MagnetTorrent) -> (Vec<(usize, Vec<u8>)>, Vec<SocketAddr>) {
        let mut kept = Vec::new();
        let again = self.close_connections_but(m.id, "metadata received", |idx| {
            let key = PeerKey(idx as u32);
            let log = m.peers.contains(&key).then(|| m.take_log(key)).flatten();
            log.map(|log| kept.push((idx, log))).is_some()
        });
        (kept, again)
    }

    /// The torrent `id` (just made from a magnet torrent) takes the connections handed over.
    fn adopt_connections(&mut self, id: TorrentId, kept: Vec<(usize, Vec<u8>)>, now: Instant) {
        let listen_port = self.listen_port;
        for (idx, log) in kept {
            let (Some(Some(slot)), Some(t)) = (self.peers.get_mut(idx), self.torrents.get_mut(&id)) else { continue };
            let key = PeerKey(idx as u32);
            match t.adopt(key, &mut slot.conn, listen_port, &log, now) {
                Ok(()) => {
                    let dht = slot.conn.remote.is_some_and(|h| h.supports_dht()) && !t.meta.is_private();
                    if let (Some(d), true) = (&self.dht, dht) {
                        slot.conn.send(&Message::Port(d.port), now);
                    }
                    self.flush(idx, now);
                }
                Err(e) => self.close_peer(idx, &e.to_string()),
            }
        }
        self.after_torrent(id, now);
    }

    fn remove_magnet(&mut self, id: TorrentId, reply: crossbeam_channel::Sender<bool>, now: Instant) {
        let Some(mut m) = self.magnets.remove(&id) else {
            let _ = reply.send(false);
            return;
        };
        let hash = m.info_hash();
        self.by_hash.remove(&hash);
        self.by_req2.remove(&crate::wire::mse::req2(&hash));
        self.deferred.remove(&id);
        self.close_connections(id, "torrent removed");
        if m.stop_announcing(now) {
            if let Some(due) = m.announcer.due(now) {
                let req = m.announcer.request(&due, self.magnet_announce(&m));
                self.start_tracker(id, due, req, false, now);
            }
        }
        self.events.push(SessionEvent::Removed { torrent: id });
        let _ = reply.send(true);
    }

    pub(super) fn magnet_announce(&self, m: &MagnetTorrent) -> AnnounceRequest {
        AnnounceRequest {
            info_hash: m.info_hash(),
            peer_id: self.cfg.peer_id,
            port: self.listen_port,
            uploaded: 0,
            downloaded: 0,
            left: LEFT_UNKNOWN,
            event: None,
            numwant: Some(50),
            key: m.announcer.key,
            tracker_id: None,
            ip: self.cfg.announce_ip.clone(),
            crypto: self.cfg.crypto.announce(),
        }
    }

    /// Periodic work of a magnet torrent: announces, dialling, dropping connections that cannot
    /// give metadata, asking the others for more, publishing its status.
    pub(super) fn magnet_tick(&mut self, id: TorrentId, now: Instant) {
        let Some(m) = self.magnets.get_mut(&id) else { return };
        if let Some(due) = m.announcer_due(now) {
            let m = &self.magnets[&id];
            let req = m.announcer.request(&due, self.magnet_announce(m));
            self.start_tracker(id, due, req, false, now);
        }
        self.start_scrape(id, now);
        self.dial_magnet(id, now);
        let keys: Vec<PeerKey> = self.magnets.get(&id).map(|m| m.peers.iter().copied().collect()).unwrap_or_default();
        for k in keys {
            let idx = k.0 as usize;
            let (Some(Some(slot)), Some(m)) = (self.peers.get_mut(idx), self.magnets.get_mut(&id)) else { continue };
            if m.is_useless(&slot.conn, now) {
                self.close_peer(idx, "no metadata offered");
            } else {
                m.request_more(k, &mut slot.conn, now);
                self.flush(idx, now);
            }
        }
        self.after_magnet(id, now);
    }

    fn dial_magnet(&mut self, id: TorrentId, now: Instant) {
        let mut budget = self.dial_budget();
        while budget > 0 && self.connection_count() < self.cfg.max_connections {
            let Some(m) = self.magnets.get_mut(&id) else { return };
            if !m.is_active() || m.peers.len() >= m.max_connections {
                return;
            }
            let Some(addr) = m.candidates.pop_front() else { return };
            let hash = m.info_hash();
            if !self.has_connection(id, addr) && self.connect_to(id, addr, hash, 0, now) {
                budget -= 1;
            }
        }
    }

    /// Handles what connection `idx` of magnet torrent `tid` received.
    pub(super) fn process_magnet(&mut self, idx: usize, tid: TorrentId, now: Instant) -> Result<(), PeerError> {
        let key = PeerKey(idx as u32);
        let (peer_id, listen_port) = (self.cfg.peer_id, self.listen_port);
        let (Some(Some(slot)), Some(m)) = (self.peers.get_mut(idx), self.magnets.get_mut(&tid)) else {
            return Err(PeerError::Unwanted("torrent gone".into()));
        };
        if !m.is_active() {
            return Err(PeerError::Unwanted("torrent not active".into()));
        }
        if m.banned.contains(&slot.conn.addr) {
            return Err(PeerError::Unwanted("sent a bad info dictionary or bad piece hashes".into()));
        }
        let (handshake, result) =
            slot.conn.drain_messages(DEFAULT_MAX_MESSAGE_LEN, |conn, msg| m.on_message(key, conn, msg, now));
        if let Some(h) = handshake {
            let want = m.info_hash();
            self.check_handshake(idx, tid, &h, want)?;
            let (Some(Some(slot)), Some(m)) = (self.peers.get_mut(idx), self.magnets.get_mut(&tid)) else {
                return Ok(());
            };
            slot.conn.send_handshake(m.info_hash(), peer_id, now);
            m.on_connected(key, &mut slot.conn, listen_port, now)?;
            return self.process_magnet(idx, tid, now);
        }
        result?;
        self.after_magnet(tid, now);
        Ok(())
    }

    /// Follows up on a magnet torrent's changes: its events queued, the senders of a bad
    /// dictionary closed, its status published, and, once the metadata is in, the torrent made.
    pub(super) fn after_magnet(&mut self, id: TorrentId, now: Instant) {
        let Some(m) = self.magnets.get_mut(&id) else { return };
        for ev in m.events.drain(..) {
            self.events.push(ev);
        }
        let bad = std::mem::take(&mut m.to_close);
        for k in bad {
            let Some(Some(slot)) = self.peers.get(k.0 as usize) else { continue };
            let addr = slot.conn.addr;
            if let Some(m) = self.magnets.get_mut(&id) {
                m.banned.insert(addr);
            }
            self.events.push(SessionEvent::PeerBanned { torrent: id, addr });
            self.close_peer(k.0 as usize, "sent a bad info dictionary or bad piece hashes");
        }
        let Some(m) = self.magnets.get_mut(&id) else { return };
        if m.done.is_some() {
            return self.complete_magnet(id, now);
        }
        if m.status_dirty {
            m.publish();
        }
    }

    /// The metadata of magnet torrent `id` is in: it becomes a torrent with the same id, status
    /// cell and trackers, which takes over its connections (those it cannot are closed and
    /// their peers dialled again); commands that waited for it run. If the metadata cannot make
    /// a torrent, the magnet torrent stops with the reason.
    fn complete_magnet(&mut self, id: TorrentId, now: Instant) {
        let Some(mut m) = self.magnets.remove(&id) else { return };
        let Some(torrent) = m.done.take() else { return };
        let (kept, again) = self.hand_over(&mut m);
        match torrent_from(&mut m, &torrent, again, now) {
            Ok(mut t) => {
                t.snapshot = m.snapshot.clone();
                t.events.push(SessionEvent::MetadataReceived { torrent: id });
                self.insert_torrent(t, now);
                self.adopt_connections(id, kept, now);
                for cmd in self.deferred.remove(&id).unwrap_or_default() {
                    self.command(cmd, now);
                }
            }
            Err(message) => {
                for (idx, _) in kept {
                    self.close_peer(idx, "the metadata received makes no torrent");
                }
                m.peers.clear();
                m.error = Some(message.clone());
                m.events.push(SessionEvent::MetadataFailed { torrent: id, message });
                m.status_dirty = true;
                self.magnets.insert(id, m);
                self.after_magnet(id, now);
            }
        }
    }
}

/// The torrent magnet torrent `m` becomes with the .torrent it made, dialling `again` too.
fn torrent_from(
    m: &mut MagnetTorrent,
    torrent: &[u8],
    again: Vec<SocketAddr>,
    now: Instant,
) -> Result<Torrent, String> {
    let meta =
        Metainfo::from_bytes(torrent).map_err(|e| format!("the metadata received is not a usable torrent: {e}"))?;
    if meta.swarm_info_hash() != m.info_hash() {
        return Err("the metadata received is a v2-only torrent, which the link's v1 info-hash cannot name".into());
    }
    let add = m.build(Arc::new(meta), again).ok_or("the torrent was already made from this link")?;
    let empty = Announcer::new(TrackerTiers::new(None, &[], &mut rand::rng()), 0, now);
    let announcer = std::mem::replace(&mut m.announcer, empty);
    Torrent::new(m.id, add, announcer, now).map_err(|e| e.to_string())
}
