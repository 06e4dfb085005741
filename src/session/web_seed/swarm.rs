//! A torrent's web seeds inside the reactor. Each seed takes one piece at a time from the
//! picker ([`Picker::pick_piece`]: a piece no peer is fetching first, endgame rules after), asks
//! for it through [`HttpFetch`], and hands the bytes to the torrent as the 16 KiB PIECE messages a
//! peer would send, through a stand-in [`PeerConn`]: counting, writing, hashing and banning take
//! the peers' path. A seed whose data fails the hash check is banned by the torrent like a peer
//! (under a made-up address of its own) and dropped here.
//!
//! [`Picker::pick_piece`]: crate::session::Picker::pick_piece

use super::fetch::{FetchOutcome, HttpFetch, IdleConn};
use super::plan::{plan, Target, WebFile};
use super::seed::{SeedConfig, Step, WebSeed};
use super::url::{check_url, SeedKind};
use super::WebSeedError;
use crate::session::bitfield::Bitfield;
use crate::session::event::SessionEvent;
use crate::session::peer::PeerConn;
use crate::session::picker::BlockRef;
use crate::session::status::TorrentState;
use crate::session::torrent::{Action, Torrent};
use crate::session::PeerKey;
use crate::tls::TlsClient;
use crate::wire::{BlockRef as WireBlock, Message};
use mio::{Registry, Token};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

/// Web seeds used per torrent, at most (further URLs are ignored).
pub const MAX_WEB_SEEDS: usize = 8;
/// Bytes a BEP 19 seed asks for in one request at most (a run of whole pieces; one piece when
/// pieces are larger).
pub const MAX_RUN: u64 = 4 * 1024 * 1024;
/// Picker keys of web seeds start here, far above any connection slot.
const KEY_BASE: u32 = 0xf000_0000;

/// One seed with its request in flight and the stand-in connection its blocks arrive on.
struct Slot {
    seed: WebSeed,
    key: PeerKey,
    conn: PeerConn,
    fetch: Option<HttpFetch>,
    /// The kept-alive connection of its last request.
    idle: Option<IdleConn>,
}

impl Slot {
    /// Closes its request in flight and its kept-alive connection.
    fn hang_up(&mut self, registry: &Registry) {
        if let Some(mut f) = self.fetch.take() {
            f.close(registry);
        }
        if let Some(c) = self.idle.take() {
            c.close(registry);
        }
    }
}

/// The web seeds of one torrent.
pub struct WebSeeds {
    torrent: u32,
    target: Arc<Target>,
    slots: Vec<Slot>,
    tls: Arc<TlsClient>,
}

/// The made-up address a web seed's blocks are recorded under (the discard prefix `100::/64`,
/// which no peer has), so the torrent's smart ban can name it.
fn seed_addr(index: usize) -> SocketAddr {
    SocketAddr::new(IpAddr::V6(Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, index as u16)), 0)
}

impl WebSeeds {
    /// The usable web seeds of `t` (`httpseeds` then `url-list`, at most [`MAX_WEB_SEEDS`]); an
    /// event reports each URL that cannot be used. `tls` serves https seeds.
    pub fn new(t: &mut Torrent, config: SeedConfig, tls: Arc<TlsClient>, now: Instant) -> WebSeeds {
        let meta = t.meta.clone();
        let files = meta
            .files()
            .iter()
            .map(|f| WebFile {
                offset: f.offset(),
                length: f.length(),
                pad: f.is_pad(),
                components: f.components().to_vec(),
            })
            .collect();
        let target = Arc::new(Target {
            info_hash: t.info_hash,
            piece_length: meta.piece_length(),
            total_length: meta.total_length(),
            multi_file: meta.is_multi_file(),
            files,
        });
        let urls = meta.http_seeds().iter().map(|u| (u, SeedKind::HttpSeed));
        let urls = urls.chain(meta.url_list().iter().map(|u| (u, SeedKind::UrlSeed)));
        let mut slots = Vec::new();
        for (url, kind) in urls {
            if let Err(reason) = check_url(url) {
                let message = WebSeedError::Url { url: url.clone(), reason }.to_string();
                t.events.push(SessionEvent::WebSeedError { torrent: t.id, url: url.clone(), message });
                continue;
            }
            if slots.len() == MAX_WEB_SEEDS || slots.iter().any(|s: &Slot| s.seed.url == *url) {
                continue;
            }
            let index = slots.len();
            let mut conn = PeerConn::new(seed_addr(index), true, t.layout.piece_count(), now);
            conn.has = Bitfield::all(t.layout.piece_count());
            let seed = WebSeed::new(url.clone(), kind, config, now);
            slots.push(Slot { seed, key: PeerKey(KEY_BASE + index as u32), conn, fetch: None, idle: None });
        }
        WebSeeds { torrent: t.id, target, slots, tls }
    }

    /// Number of seeds.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the torrent has no usable seed.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Seeds working now: fetching, or ready and not backing off after a failure.
    pub fn working(&self, now: Instant) -> u32 {
        self.slots.iter().filter(|s| s.seed.is_working(now)).count() as u32
    }

    /// Open connections: requests in flight and kept-alive ones.
    pub fn connections(&self) -> usize {
        self.slots.iter().map(|s| usize::from(s.fetch.is_some()) + usize::from(s.idle.is_some())).sum()
    }

    /// The earliest time a request needs looking at without an event.
    pub fn deadline(&self) -> Option<Instant> {
        self.slots.iter().filter_map(|s| s.fetch.as_ref().map(HttpFetch::deadline)).min()
    }

    /// Starts fetches on idle seeds while the torrent downloads, up to `budget` new connections;
    /// tokens are `first + index`. Returns the connections opened.
    pub fn pump(&mut self, t: &mut Torrent, registry: &Registry, first: usize, budget: usize, now: Instant) -> usize {
        if !downloading(t) {
            self.stop(t, registry, now);
            return 0;
        }
        let mut opened = 0;
        for i in 0..self.slots.len() {
            if opened >= budget {
                break;
            }
            if self.slots[i].fetch.is_some() || !self.slots[i].seed.is_ready(now) {
                continue;
            }
            if self.start(i, t, registry, now) {
                self.drive(i, t, registry, Token(first + i), now);
                opened += 1;
            } else if let Some(c) = self.slots[i].idle.take() {
                c.close(registry);
            }
        }
        opened
    }

    /// Claims a piece for seed `i` and starts its first request; false when there is nothing
    /// for it to do (or the download limit is exhausted).
    fn start(&mut self, i: usize, t: &mut Torrent, registry: &Registry, now: Instant) -> bool {
        let allowed = t.limits.global.lock().down.available(now).min(t.limits.down.available(now));
        if allowed == 0 {
            return false;
        }
        let Some(blocks) = self.claim(i, t, allowed == u64::MAX) else { return false };
        let plen = u64::from(t.layout.piece_length());
        let at = |b: &BlockRef| {
            let (begin, len) = t.layout.block_range(b.piece, b.block);
            (u64::from(b.piece.get()) * plen + u64::from(begin), u64::from(len))
        };
        let start = blocks.iter().map(|b| at(b).0).min().unwrap_or(0);
        let end = blocks.iter().map(|b| at(b).0 + at(b).1).max().unwrap_or(0);
        let s = &mut self.slots[i];
        s.conn.requested.extend(blocks.iter().map(|b| b.to_wire(&t.layout)));
        let len = u32::try_from(end - start).unwrap_or(u32::MAX);
        t.limits.global.lock().down.charge(now, u64::from(len));
        t.limits.down.charge(now, u64::from(len));
        let parts = plan(s.seed.kind, &s.seed.url, &self.target, start, len);
        match s.seed.start(start, len, parts, now) {
            Some(step) => self.step(i, t, step, registry, now),
            None => {
                self.release(i, t);
                false
            }
        }
    }

    /// The blocks seed `i` takes next: one piece from the picker, and for a BEP 19 seed allowed
    /// to, the untouched pieces after it up to [`MAX_RUN`] bytes, fetched in one request as
    /// libtorrent does (not under a download limit, which a run would overshoot).
    fn claim(&mut self, i: usize, t: &mut Torrent, may_run: bool) -> Option<Vec<BlockRef>> {
        let s = &self.slots[i];
        let mut blocks = Vec::new();
        let first = t.picker.pick_piece(s.key, &s.conn.has, &mut blocks)?;
        let whole = blocks.len() as u32 == t.layout.blocks_in_piece(first);
        if s.seed.kind != SeedKind::UrlSeed || !whole || !may_run {
            return Some(blocks);
        }
        let plen = u64::from(t.layout.piece_length());
        let most = (MAX_RUN / plen).max(1);
        for next in (first.get() + 1..).take(most as usize - 1) {
            match t.layout.piece(next) {
                Ok(p) if t.picker.claim_piece(s.key, p, &mut blocks) => {}
                _ => break,
            }
        }
        Some(blocks)
    }

    /// Acts on a seed's next step: a new request, or a finished span to hand to the torrent.
    /// Returns true while a request is in flight.
    fn step(&mut self, i: usize, t: &mut Torrent, step: Step, registry: &Registry, now: Instant) -> bool {
        match step {
            Step::Request { url, range, len } => {
                let idle = self.slots[i].seed.config().idle_timeout;
                let reuse = self.slots[i].idle.take();
                match HttpFetch::start(&url, range, len, idle, reuse, &self.tls, registry, now) {
                    Ok(f) => {
                        self.slots[i].fetch = Some(f);
                        true
                    }
                    Err(e) => {
                        self.failed(i, t, e, now);
                        false
                    }
                }
            }
            Step::Done { offset, data } => {
                self.deliver(i, t, offset, &data, now);
                false
            }
        }
    }

    /// Advances seed `i`'s request after an event or on a timer.
    pub fn drive(&mut self, i: usize, t: &mut Torrent, registry: &Registry, token: Token, now: Instant) {
        let Some(fetch) = self.slots.get_mut(i).and_then(|s| s.fetch.as_mut()) else { return };
        let outcome = fetch.drive(registry, token, now);
        if !matches!(outcome, FetchOutcome::Pending) {
            self.slots[i].idle = fetch.take_idle();
        }
        match outcome {
            FetchOutcome::Pending => {}
            FetchOutcome::Failed(e) => {
                self.slots[i].hang_up(registry);
                self.failed(i, t, e, now);
            }
            FetchOutcome::Reply(reply) => {
                self.slots[i].fetch = None;
                match self.slots[i].seed.on_reply(&reply, now) {
                    Ok(step) => {
                        if self.step(i, t, step, registry, now) {
                            self.drive(i, t, registry, token, now);
                        }
                    }
                    Err(e) => {
                        // The seed backs off: no connection is kept for it meanwhile.
                        self.slots[i].hang_up(registry);
                        self.release(i, t);
                        self.report(t, i, &e);
                    }
                }
            }
        }
    }

    /// Drives every request (timeouts), drops seeds the torrent banned, and starts new fetches.
    pub fn tick(&mut self, t: &mut Torrent, registry: &Registry, first: usize, budget: usize, now: Instant) -> usize {
        for i in 0..self.slots.len() {
            self.drive(i, t, registry, Token(first + i), now);
        }
        self.check_bans(t, registry);
        self.pump(t, registry, first, budget, now)
    }

    /// Drops the seeds the torrent banned for corrupt data (after a hash check), reporting each.
    pub fn check_bans(&mut self, t: &mut Torrent, registry: &Registry) {
        for i in 0..self.slots.len() {
            let s = &mut self.slots[i];
            if s.seed.is_banned() || !t.is_banned(&s.conn.addr) {
                continue;
            }
            s.hang_up(registry);
            let bad = last_checked_piece(t).unwrap_or(u32::MAX);
            s.seed.ban(bad);
            self.release(i, t);
            let e = WebSeedError::Corrupt { piece: bad };
            self.report(t, i, &e);
        }
    }

    /// Closes every request and returns their blocks to the picker (pause, completion, removal).
    pub fn stop(&mut self, t: &mut Torrent, registry: &Registry, now: Instant) {
        let checking = t.state == TorrentState::Checking;
        for i in 0..self.slots.len() {
            self.slots[i].hang_up(registry);
            self.slots[i].seed.abort(now);
            if checking {
                // A recheck rebuilt the picker: the claims are void already.
                self.slots[i].conn.requested.clear();
            } else {
                self.release(i, t);
            }
        }
    }

    /// A request failed: the seed backs off, its blocks go back to the picker, the error is
    /// reported.
    fn failed(&mut self, i: usize, t: &mut Torrent, e: WebSeedError, now: Instant) {
        self.slots[i].seed.fail(e.clone(), now);
        self.release(i, t);
        self.report(t, i, &e);
    }

    fn report(&self, t: &mut Torrent, i: usize, e: &WebSeedError) {
        let url = self.slots[i].seed.url.clone();
        t.events.push(SessionEvent::WebSeedError { torrent: self.torrent, url, message: e.to_string() });
    }

    /// Returns seed `i`'s claimed blocks to the picker and lets the peers ask for them.
    fn release(&mut self, i: usize, t: &mut Torrent) {
        let s = &mut self.slots[i];
        if s.conn.requested.is_empty() {
            return;
        }
        for b in s.conn.requested.drain(..) {
            if let Ok((piece, block)) = t.layout.block_at(b.piece, b.begin, b.length) {
                t.picker.on_request_dropped(s.key, BlockRef { piece, block });
            }
        }
        for k in t.peers.iter() {
            t.outbox.push(Action::Request(*k));
        }
    }

    /// Hands a fetched span to the torrent as the blocks it claimed.
    fn deliver(&mut self, i: usize, t: &mut Torrent, offset: u64, data: &[u8], now: Instant) {
        let s = &mut self.slots[i];
        let plen = u64::from(t.layout.piece_length());
        let end = offset + data.len() as u64;
        let inside = |b: &WireBlock| {
            let at = u64::from(b.piece) * plen + u64::from(b.begin);
            (at >= offset && at + u64::from(b.length) <= end).then_some((at - offset) as usize)
        };
        let mine: Vec<(WireBlock, usize)> = s.conn.requested.iter().filter_map(|b| Some((*b, inside(b)?))).collect();
        for (b, at) in mine {
            let block = Message::Piece { piece: b.piece, begin: b.begin, data: &data[at..at + b.length as usize] };
            if let Err(e) = t.on_message(s.key, &mut s.conn, block, now) {
                let e = WebSeedError::Network(format!("block rejected: {e}"));
                self.failed(i, t, e, now);
                return;
            }
        }
        self.release(i, t);
    }

    /// Whether a request is in flight (its data may yet be written).
    pub fn is_fetching(&self) -> bool {
        self.slots.iter().any(|s| s.fetch.is_some())
    }

    /// Closes every request (the torrent is being removed).
    pub fn close(&mut self, registry: &Registry) {
        for s in &mut self.slots {
            s.hang_up(registry);
        }
    }
}

/// Whether the torrent wants data now.
fn downloading(t: &Torrent) -> bool {
    t.state == TorrentState::Downloading && !t.paused
}

/// The piece of the torrent's most recent hash verdict still queued as an event: the failed
/// piece a sole sender is banned for, or the passed piece that convicted a co-sender.
fn last_checked_piece(t: &Torrent) -> Option<u32> {
    t.events.iter().rev().find_map(|e| match e {
        SessionEvent::HashFailed { piece, .. } | SessionEvent::PieceFinished { piece, .. } => Some(*piece),
        _ => None,
    })
}
