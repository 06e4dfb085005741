//! The UDP (BEP 15) face of the core: connect, announce and scrape over stateless connection
//! ids, replies written into the caller's buffer; and the [`UdpHandler`] implementation.
//!
//! Malformed datagrams get an error reply when their transaction id is known, else nothing.

use super::config::ScrapeAllowed;
use super::core::{unix_now, AnnounceContext, Tracker};
use super::handler::UdpHandler;
use super::ipfilter::canonical_ip;
use super::peer_select::{CryptoMode, Family};
use super::query::{Announce, PeerKey};
use super::stats::Counters;
use super::udp_protocol::{
    parse_request, write_announce_head, write_connect, write_error, write_scrape_entry, write_scrape_head, UdpAnnounce,
    UdpParseError, UdpRequest,
};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

fn clamp32(n: u64) -> u32 {
    n.min(u64::from(u32::MAX)) as u32
}

impl Tracker {
    /// Answers one datagram from `peer` at time `now`, writing the reply into `out` (cleared
    /// first). Returns false when nothing is to be sent.
    pub fn handle_udp_at(&self, datagram: &[u8], peer: SocketAddr, out: &mut Vec<u8>, now: u64) -> bool {
        out.clear();
        let ip = canonical_ip(peer.ip());
        let req = match parse_request(datagram) {
            Ok(r) => r,
            Err(UdpParseError::Unsendable) => {
                Counters::bump(&self.counters.rejected);
                return false;
            }
            Err(UdpParseError::Sendable { transaction_id, message }) => {
                return self.udp_error(out, transaction_id, message);
            }
        };
        if !self.ip_permitted(ip) {
            return self.udp_error(out, req.transaction_id(), "your IP is not allowed on this tracker");
        }
        match req {
            UdpRequest::Connect { transaction_id } => {
                write_connect(out, transaction_id, self.conn_ids.issue(ip, now));
                Counters::bump(&self.counters.udp_connects);
                true
            }
            UdpRequest::Announce(a) => {
                if !self.conn_ids.check(a.connection_id, ip, now) {
                    return self.udp_error(out, a.transaction_id, "invalid or expired connection id");
                }
                self.udp_announce(&a, ip, out, now)
            }
            UdpRequest::Scrape { connection_id, transaction_id, hashes } => {
                if !self.conn_ids.check(connection_id, ip, now) {
                    return self.udp_error(out, transaction_id, "invalid or expired connection id");
                }
                self.udp_scrape(transaction_id, hashes, out)
            }
        }
    }

    fn udp_error(&self, out: &mut Vec<u8>, transaction_id: u32, message: &str) -> bool {
        out.clear();
        write_error(out, transaction_id, message);
        Counters::bump(&self.counters.rejected);
        true
    }

    fn udp_announce(&self, u: &UdpAnnounce, ip: IpAddr, out: &mut Vec<u8>, now: u64) -> bool {
        // A password aggregator cannot check a UDP announce (no query, no password): refused.
        if !self.allowed.read().allows(&u.info_hash) || !self.aggregator.admits(None) {
            return self.udp_error(
                out,
                u.transaction_id,
                "Requested download is not authorized for use with this tracker.",
            );
        }
        let given = (u.ip != 0).then(|| IpAddr::V4(Ipv4Addr::from(u.ip)));
        let a = Announce {
            info_hash: u.info_hash,
            peer_id: u.peer_id,
            port: u.port,
            uploaded: u.uploaded,
            downloaded: u.downloaded,
            left: u.left,
            event: u.event,
            compact: Some(true),
            no_peer_id: true,
            numwant: if self.aggregator.is_on() { Some(0) } else { usize::try_from(u.num_want).ok() },
            key: PeerKey::new(&u.key.to_be_bytes()),
            ip: given,
            supportcrypto: false,
            requirecrypto: false,
        };
        let client = self.client_addr(ip, None, a.ip);
        let family = if ip.is_ipv4() { Family::V4 } else { Family::V6 };
        let cx = AnnounceContext { client, dedicated: false, family, crypto: CryptoMode::Plain, now };
        self.forward_udp_announce(&a, client.addr);
        Tracker::with_picks(|picks| {
            let r = self.announce(&a, &cx, picks);
            let interval = clamp32(self.config.reannounce_interval);
            write_announce_head(out, u.transaction_id, interval, clamp32(r.counts.leechers), clamp32(r.counts.seeds));
            for p in picks.iter() {
                out.extend_from_slice(if family == Family::V4 { &p.addr[12..] } else { &p.addr[..] });
                out.extend_from_slice(&p.port.to_be_bytes());
            }
        });
        true
    }

    fn udp_scrape(&self, transaction_id: u32, hashes: &[u8], out: &mut Vec<u8>) -> bool {
        if self.config.scrape_allowed == ScrapeAllowed::None {
            return self.udp_error(out, transaction_id, "scrape function is not available with this tracker.");
        }
        let allowed = self.allowed.read();
        write_scrape_head(out, transaction_id);
        for h in hashes.chunks_exact(20) {
            let h: [u8; 20] = h.try_into().expect("20-byte chunk");
            let c = self.store.counts(&h).filter(|_| allowed.allows(&h)).unwrap_or_default();
            write_scrape_entry(out, clamp32(c.seeds), clamp32(c.completed), clamp32(c.leechers));
        }
        Counters::bump(&self.counters.scrapes);
        true
    }
}

impl UdpHandler for Tracker {
    fn handle_udp(&self, datagram: &[u8], peer: SocketAddr, out: &mut Vec<u8>) -> bool {
        self.handle_udp_at(datagram, peer, out, unix_now())
    }
}
