//! The HTTP face of the core: routing a raw request target to announce, scrape, `/file`,
//! `/favicon.ico` and the info page, with BitTornado's status codes and bodies; and the
//! [`HttpHandler`] implementation the fronts call.

use super::config::ScrapeAllowed;
use super::core::{control_text, unix_now, AllowedSet, AnnounceContext, Tracker};
use super::handler::{HttpHandler, HttpRequest, HttpResponse};
use super::infopage::{render, InfoPageOptions, InfoRow};
use super::ipfilter::{canonical_ip, is_local_ip};
use super::peer_select::{CryptoMode, Family};
use super::query::{decode_20, first_value, percent_decode, scrape_hashes, split_target, AnnounceParams, QueryError};
use super::response::{announce_reply, failure, scrape_reply, AnnounceReply, PeerForm, ScrapeEntry};
use super::stats::Counters;
use std::net::{IpAddr, SocketAddr};

/// The 404 body of every unknown path.
pub const NOT_FOUND_BODY: &str = "your file may exist elsewhere in the universe\nbut alas, not here\n";

fn no_cache() -> Vec<(&'static str, String)> {
    vec![("Pragma", "no-cache".to_string())]
}

fn not_found() -> HttpResponse {
    let mut r = HttpResponse::new(404, "Not Found", "text/plain", NOT_FOUND_BODY.as_bytes().to_vec());
    r.headers = no_cache();
    r
}

fn bencoded(status: u16, reason: &'static str, body: Vec<u8>) -> HttpResponse {
    let mut r = HttpResponse::new(status, reason, "text/plain", body);
    r.headers = no_cache();
    r
}

fn garbage(what: &str) -> HttpResponse {
    HttpResponse::new(400, "Bad Request", "text/plain", format!("you sent me garbage - {what}").into_bytes())
}

fn not_authorized(status: u16, reason: &str) -> HttpResponse {
    bencoded(status, "Not Authorized", failure(reason))
}

/// The client address a proxy header names, if any: `X-Forwarded-For` (first public address),
/// then `Client-IP`, then `Via: ... for <ip>`. Local and private addresses are ignored.
pub fn forwarded_ip(headers: &[(&str, &[u8])]) -> Option<IpAddr> {
    let get = |name: &str| headers.iter().find(|(n, _)| *n == name).and_then(|(_, v)| std::str::from_utf8(v).ok());
    let public = |s: &str| s.trim().parse::<IpAddr>().ok().map(canonical_ip).filter(|ip| !is_local_ip(*ip));
    if let Some(v) = get("x-forwarded-for") {
        if let Some(ip) = v.split(',').find_map(public) {
            return Some(ip);
        }
    }
    if let Some(ip) = get("client-ip").and_then(public) {
        return Some(ip);
    }
    let via = get("via")?;
    let at = via.find("for ")?;
    via[at + 4..].split_whitespace().next().and_then(public)
}

impl Tracker {
    /// Answers one HTTP request given its raw target, the TCP peer, the headers (names lower
    /// case) and the time.
    pub fn handle_http_at(&self, target: &[u8], peer: SocketAddr, headers: &[(&str, &[u8])], now: u64) -> HttpResponse {
        let (path, query) = split_target(target);
        let peer_ip = canonical_ip(peer.ip());
        if !self.ip_permitted(peer_ip) {
            Counters::bump(&self.counters.rejected);
            return not_authorized(400, "your IP is not allowed on this tracker");
        }
        let resp = match path {
            b"/announce" | b"/announce.php" | b"/tracker.php/announce" => {
                self.http_announce(query, peer_ip, headers, now)
            }
            b"/scrape" | b"/scrape.php" | b"/tracker.php/scrape" => self.http_scrape(query),
            b"/file" => self.http_file(query),
            b"/favicon.ico" => match &self.favicon {
                Some(bytes) => HttpResponse::new(200, "OK", "image/x-icon", bytes.clone()),
                None => not_found(),
            },
            b"/" | b"/index.html" => self.http_info_page(now),
            _ => not_found(),
        };
        if resp.status >= 400 || (resp.status == 200 && resp.reason == "Not Authorized") {
            Counters::bump(&self.counters.rejected);
        }
        resp
    }

    fn http_announce(&self, query: &[u8], peer_ip: IpAddr, headers: &[(&str, &[u8])], now: u64) -> HttpResponse {
        let params = match AnnounceParams::parse(query) {
            Ok(p) => p,
            Err(e) => return garbage(&e.to_string()),
        };
        let info_hash = match params.info_hash() {
            Ok(Some(h)) => h,
            Ok(None) => return garbage("no info hash"),
            Err(e) => return garbage(&e.to_string()),
        };
        let warning = {
            let allowed = self.allowed.read();
            if !allowed.allows(&info_hash) || !self.aggregator.admits(params.password) {
                return not_authorized(200, "Requested download is not authorized for use with this tracker.");
            }
            if params.tracker {
                let multitracker = allowed.torrent(&info_hash).is_some_and(|t| t.has_announce_list);
                drop(allowed);
                return self.t2t_announce(&params, info_hash, multitracker);
            }
            let t = allowed.torrent(&info_hash).filter(|_| self.config.allowed_controls);
            if let Some(reason) = t.and_then(|t| t.failure_reason.as_deref()) {
                return not_authorized(200, control_text(reason));
            }
            t.and_then(|t| t.warning_message.as_deref()).map(|w| control_text(w).to_string())
        };
        let a = match params.validate(info_hash) {
            Ok(a) => a,
            Err(e) => return garbage(&e.to_string()),
        };
        let client = self.client_addr(peer_ip, forwarded_ip(headers), a.ip);
        if self.aggregator.is_on() {
            return self.aggregated_announce(a, client, now);
        }
        let form = match (a.compact, a.no_peer_id) {
            (Some(true), _) => PeerForm::Compact,
            _ if self.config.compact_reqd && client.conn_ip.is_ipv4() => {
                return HttpResponse::new(
                    400,
                    "Bad Request",
                    "text/plain",
                    b"your client is outdated, please upgrade".to_vec(),
                );
            }
            (_, true) => PeerForm::DictNoPeerId,
            _ => PeerForm::Dict,
        };
        let crypto = match (a.requirecrypto, a.supportcrypto) {
            (true, _) => CryptoMode::Require,
            (false, true) => CryptoMode::Support,
            _ => CryptoMode::Plain,
        };
        let dedicated = self.is_dedicated_seed(params.seed_id);
        let cx = AnnounceContext { client, dedicated, family: Family::Any, crypto, now };
        let body = Tracker::with_picks(|picks| {
            let r = self.announce(&a, &cx, picks);
            let c = r.counts;
            let reply = AnnounceReply {
                complete: c.seeds,
                incomplete: c.leechers,
                interval: self.config.reannounce_interval,
                min_interval: self.config.min_interval,
                peers: picks,
                form,
                crypto,
                empty_list: picks.is_empty() && (a.event == super::query::Event::Stopped || a.numwant == Some(0)),
                scrape: params.scrape.then_some((c.seeds, c.leechers, c.completed)),
                seeded: params.check_seeded && !self.config.dedicated_seed_id.is_empty() && c.seeded,
                warning: warning.as_deref(),
            };
            announce_reply(&reply, Vec::with_capacity(256 + picks.len() * 8))
        });
        self.forward_announce(query);
        bencoded(200, "OK", body)
    }

    /// An announce from another tracker (`tracker=1`, §4.4 step 3): refused when T2T is off
    /// here, when it comes from ourselves, or (`autodetect`) for a torrent without an
    /// announce-list; else answered with our own connectable, non-require-crypto peers in
    /// compact form (0.3.18 sent a list of 6-byte strings that its own client rejected).
    fn t2t_announce(&self, params: &AnnounceParams<'_>, info_hash: [u8; 20], multitracker: bool) -> HttpResponse {
        let from = match params.peer_id.map(|raw| decode_20(raw, QueryError::PeerIdLength)) {
            Some(Ok(id)) => id,
            Some(Err(e)) => return garbage(&e.to_string()),
            None => return garbage(&QueryError::PeerIdLength.to_string()),
        };
        match self.config.multitracker_allowed.as_str() {
            "none" => return not_authorized(200, "disallowed"),
            _ if from == self.tracker_id => return not_authorized(200, "disallowed"),
            "autodetect" if !multitracker => {
                return not_authorized(200, "Requested download is not authorized for multitracker use.")
            }
            _ => {}
        }
        let want = match params.numwant.map(|raw| super::query::parse_int(raw, "numwant")) {
            Some(Ok(n)) => (n.max(0) as usize).min(self.config.response_size),
            Some(Err(e)) => return garbage(&e.to_string()),
            None => self.config.response_size,
        };
        let wanted = super::peer_select::Wanted {
            want,
            requester: from,
            requester_is_seed: false,
            crypto: CryptoMode::Plain,
            family: Family::Any,
        };
        let body = Tracker::with_picks(|picks| {
            let c = self.store.pick_own(&info_hash, &wanted, picks).unwrap_or_default();
            let reply = AnnounceReply {
                complete: c.seeds,
                incomplete: c.leechers,
                interval: self.config.multitracker_reannounce_interval,
                min_interval: 0,
                peers: picks,
                form: PeerForm::Compact,
                crypto: CryptoMode::Plain,
                empty_list: false,
                scrape: None,
                seeded: false,
                warning: None,
            };
            announce_reply(&reply, Vec::with_capacity(256 + picks.len() * 8))
        });
        Counters::bump(&self.counters.announces);
        bencoded(200, "OK", body)
    }

    /// An announce to an aggregator: counted like any other (no NAT check), answered with
    /// `{"response": "OK"}` and no peers.
    fn aggregated_announce(
        &self,
        mut a: super::query::Announce,
        client: super::core::ClientAddr,
        now: u64,
    ) -> HttpResponse {
        a.numwant = Some(0);
        let cx = AnnounceContext { client, dedicated: false, family: Family::Any, crypto: CryptoMode::Plain, now };
        Tracker::with_picks(|picks| self.announce(&a, &cx, picks));
        bencoded(200, "OK", b"d8:response2:OKe".to_vec())
    }

    pub(crate) fn is_dedicated_seed(&self, raw: Option<&[u8]>) -> bool {
        let secret = self.config.dedicated_seed_id.as_bytes();
        let Some(raw) = raw.filter(|_| !secret.is_empty()) else { return false };
        let mut buf = [0u8; 256];
        matches!(percent_decode(raw, &mut buf, "seed_id"), Ok(n) if &buf[..n] == secret)
    }

    fn http_scrape(&self, query: &[u8]) -> HttpResponse {
        let hashes = match scrape_hashes(query) {
            Ok(h) => h,
            Err(e) => return garbage(&e.to_string()),
        };
        let allowed = self.allowed.read();
        let names = self.config.show_names && matches!(&*allowed, AllowedSet::Dir(_));
        let name_of = |h: &[u8; 20]| if names { allowed.torrent(h).map(|t| t.name.clone()) } else { None };
        let mut rows: Vec<(ScrapeEntry<'static>, Option<String>)> = Vec::new();
        if hashes.is_empty() {
            if self.config.scrape_allowed != ScrapeAllowed::Full {
                return not_authorized(400, "full scrape function is not available with this tracker.");
            }
            self.store.for_each(|h, s| {
                if allowed.allows(h) {
                    let e = ScrapeEntry {
                        info_hash: *h,
                        complete: s.seeds() as u64,
                        downloaded: s.completed,
                        incomplete: s.leechers() as u64,
                        name: None,
                    };
                    rows.push((e, name_of(h)));
                }
            });
        } else {
            if self.config.scrape_allowed == ScrapeAllowed::None {
                return not_authorized(400, "specific scrape function is not available with this tracker.");
            }
            for h in &hashes {
                if let Some(c) = self.store.counts(h).filter(|_| allowed.allows(h)) {
                    let e = ScrapeEntry {
                        info_hash: *h,
                        complete: c.seeds,
                        downloaded: c.completed,
                        incomplete: c.leechers,
                        name: None,
                    };
                    rows.push((e, name_of(h)));
                }
            }
        }
        drop(allowed);
        rows.sort_by_key(|r| r.0.info_hash);
        Counters::bump(&self.counters.scrapes);
        let body = scrape_reply(rows.iter().map(|(e, n)| ScrapeEntry { name: n.as_deref(), ..*e }));
        bencoded(200, "OK", body)
    }

    fn http_file(&self, query: &[u8]) -> HttpResponse {
        if !self.config.allow_get {
            return bencoded(400, "Not Authorized", b"get function is not available with this tracker.".to_vec());
        }
        let hash = match first_value(query, b"info_hash") {
            Ok(Some(raw)) => match decode_20(raw, QueryError::InfoHashLength) {
                Ok(h) => h,
                Err(_) => return not_found(),
            },
            Ok(None) => return not_found(),
            Err(e) => return garbage(&e.to_string()),
        };
        let (t, root) = match &*self.allowed.read() {
            AllowedSet::Dir(d) => match d.get(&hash) {
                Some(t) => (t.clone(), d.root.clone()),
                None => return not_found(),
            },
            _ => return not_found(),
        };
        // Serve only files that really lie under allowed_dir (a restored state file could name others).
        let inside = match (t.path.canonicalize(), root.canonicalize()) {
            (Ok(p), Ok(r)) => p.starts_with(r),
            _ => false,
        };
        let Some(bytes) = inside.then(|| std::fs::read(&t.path).ok()).flatten() else { return not_found() };
        let safe: String =
            t.file.chars().map(|c| if c.is_control() || c == '"' || c == '\\' { '_' } else { c }).collect();
        let mut r = HttpResponse::new(200, "OK", "application/x-bittorrent", bytes);
        r.headers.push(("Content-Disposition", format!("attachment; filename=\"{safe}\"")));
        r
    }

    fn http_info_page(&self, now: u64) -> HttpResponse {
        if !self.config.show_infopage {
            return not_found();
        }
        if !self.config.infopage_redirect.is_empty() {
            let url = &self.config.infopage_redirect;
            let body = format!("<A HREF=\"{}\">Click Here</A>", super::infopage::escape_html(url));
            let mut r = HttpResponse::new(302, "Found", "text/html", body.into_bytes());
            r.headers.push(("Location", url.clone()));
            return r;
        }
        let allowed = self.allowed.read();
        let names = self.config.show_names && matches!(&*allowed, AllowedSet::Dir(_));
        let mut rows = Vec::new();
        self.store.for_each(|h, s| {
            let t = allowed.torrent(h).filter(|_| names);
            rows.push(InfoRow {
                info_hash: *h,
                name: t.map(|t| t.name.clone()),
                size: t.map(|t| t.length),
                seeds: s.seeds() as u64,
                leechers: s.leechers() as u64,
                completed: s.completed,
            });
        });
        drop(allowed);
        let opts =
            InfoPageOptions { show_names: names, allow_get: self.config.allow_get, favicon: self.favicon.is_some() };
        let mut r = HttpResponse::new(200, "OK", "text/html; charset=utf-8", render(rows, &opts, now).into_bytes());
        r.headers = no_cache();
        r
    }
}

impl HttpHandler for Tracker {
    fn handle_http(&self, request: &HttpRequest<'_>) -> HttpResponse {
        self.handle_http_at(request.target, request.peer, request.headers, unix_now())
    }
}
