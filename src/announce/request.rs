//! Announce requests: the query string of an HTTP announce and the fields a UDP announce carries.

use super::url::percent_encode;

/// The `event` of an announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// First announce of a download.
    Started,
    /// The download finished.
    Completed,
    /// The client is leaving.
    Stopped,
}

impl Event {
    /// The HTTP query value.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Started => "started",
            Event::Completed => "completed",
            Event::Stopped => "stopped",
        }
    }

    /// The BEP 15 event code (0 none, 1 completed, 2 started, 3 stopped).
    pub fn udp_code(event: Option<Event>) -> u32 {
        match event {
            None => 0,
            Some(Event::Completed) => 1,
            Some(Event::Started) => 2,
            Some(Event::Stopped) => 3,
        }
    }
}

/// What an announce says about our encryption (BitTornado's crypto/port part of the query).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AnnounceCrypto {
    /// No MSE: `&port=N`.
    #[default]
    Off,
    /// MSE accepted: `&supportcrypto=1&port=N`.
    Support,
    /// MSE required (`crypto_only`): `&supportcrypto=1&requirecrypto=1&port=N`.
    Require,
    /// MSE required and the port hidden from plaintext clients (`crypto_stealth`):
    /// `&supportcrypto=1&requirecrypto=1&port=0&cryptoport=N`.
    Stealth,
}

impl AnnounceCrypto {
    /// Appends the crypto/port part of the query for listening port `port`.
    fn write(self, port: u16, q: &mut String) {
        match self {
            AnnounceCrypto::Off => q.push_str(&format!("&port={port}")),
            AnnounceCrypto::Support => q.push_str(&format!("&supportcrypto=1&port={port}")),
            AnnounceCrypto::Require => q.push_str(&format!("&supportcrypto=1&requirecrypto=1&port={port}")),
            AnnounceCrypto::Stealth => {
                q.push_str(&format!("&supportcrypto=1&requirecrypto=1&port=0&cryptoport={port}"))
            }
        }
    }
}

/// Everything one announce says about us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnounceRequest {
    /// The torrent's info-hash (v1, or the v2 hash truncated to 20 bytes).
    pub info_hash: [u8; 20],
    /// Our peer id.
    pub peer_id: [u8; 20],
    /// Our listening port.
    pub port: u16,
    /// Bytes uploaded since `started`.
    pub uploaded: u64,
    /// Bytes downloaded since `started`.
    pub downloaded: u64,
    /// Bytes still needed.
    pub left: u64,
    /// The event, if any.
    pub event: Option<Event>,
    /// How many peers we want (`None`: the tracker's default).
    pub numwant: Option<u32>,
    /// Our per-tracker key, stable for the process lifetime.
    pub key: u32,
    /// The `tracker id` a previous reply gave us.
    pub tracker_id: Option<Vec<u8>>,
    /// An address to report instead of the connection's (`ip=`).
    pub ip: Option<String>,
    /// Our encryption policy as announced (HTTP only; UDP announces have no such field).
    pub crypto: AnnounceCrypto,
}

impl AnnounceRequest {
    /// The full HTTP announce URL: `announce_url` plus our query (joined with `&` when the URL
    /// already has a query). Asks for compact replies without peer ids, as BitTornado did.
    pub fn http_url(&self, announce_url: &str) -> String {
        let mut q = String::with_capacity(announce_url.len() + 256);
        q.push_str(announce_url.trim());
        q.push(if announce_url.contains('?') { '&' } else { '?' });
        q.push_str("info_hash=");
        percent_encode(&self.info_hash, &mut q);
        q.push_str("&peer_id=");
        percent_encode(&self.peer_id, &mut q);
        self.crypto.write(self.port, &mut q);
        q.push_str(&format!("&uploaded={}&downloaded={}&left={}", self.uploaded, self.downloaded, self.left));
        if let Some(id) = &self.tracker_id {
            q.push_str("&trackerid=");
            percent_encode(id, &mut q);
        }
        match self.numwant {
            Some(0) => q.push_str("&numwant=0"),
            Some(n) => q.push_str(&format!("&numwant={n}&no_peer_id=1&compact=1")),
            None => q.push_str("&no_peer_id=1&compact=1"),
        }
        if let Some(e) = self.event {
            q.push_str("&event=");
            q.push_str(e.as_str());
        }
        if let Some(ip) = &self.ip {
            q.push_str("&ip=");
            percent_encode(ip.as_bytes(), &mut q);
        }
        q.push_str(&format!("&key={:08X}", self.key));
        q
    }
}

/// The HTTP scrape URL for an announce URL (BEP 48): the last path segment must start with
/// `announce`, which becomes `scrape`; otherwise the tracker does not support scrape.
pub fn scrape_url(announce_url: &str, info_hashes: &[[u8; 20]]) -> Option<String> {
    let (base, query) = match announce_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (announce_url, None),
    };
    let slash = base.rfind('/')?;
    let last = &base[slash + 1..];
    let rest = last.strip_prefix("announce")?;
    let mut url = format!("{}/scrape{}", &base[..slash], rest);
    let mut sep = '?';
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
        sep = '&';
    }
    for h in info_hashes {
        url.push(sep);
        url.push_str("info_hash=");
        percent_encode(h, &mut url);
        sep = '&';
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> AnnounceRequest {
        AnnounceRequest {
            info_hash: [0xab; 20],
            peer_id: *b"-BG0100-abcdefghijkl",
            port: 6881,
            uploaded: 1,
            downloaded: 2,
            left: 3,
            event: Some(Event::Started),
            numwant: None,
            key: 0xdead_beef,
            tracker_id: None,
            ip: None,
            crypto: AnnounceCrypto::Off,
        }
    }

    #[test]
    fn http_query() {
        let url = req().http_url("http://t/announce");
        assert_eq!(
            url,
            format!(
                "http://t/announce?info_hash={}&peer_id=-BG0100-abcdefghijkl&port=6881&uploaded=1&downloaded=2&left=3\
                 &no_peer_id=1&compact=1&event=started&key=DEADBEEF",
                "%AB".repeat(20)
            )
        );
        let mut r = req();
        r.numwant = Some(0);
        r.event = None;
        assert!(r.http_url("http://t/a?pk=1").starts_with("http://t/a?pk=1&info_hash="));
        assert!(r.http_url("http://t/a").contains("&numwant=0&key="));
    }

    #[test]
    fn crypto_port_part_as_bittornado_writes_it() {
        let mut r = req();
        let part = |r: &AnnounceRequest| {
            let url = r.http_url("http://t/announce");
            let start = url.find("&peer_id=").unwrap() + 29;
            url[start..url.find("&uploaded=").unwrap()].to_string()
        };
        assert_eq!(part(&r), "&port=6881");
        r.crypto = AnnounceCrypto::Support;
        assert_eq!(part(&r), "&supportcrypto=1&port=6881");
        r.crypto = AnnounceCrypto::Require;
        assert_eq!(part(&r), "&supportcrypto=1&requirecrypto=1&port=6881");
        r.crypto = AnnounceCrypto::Stealth;
        assert_eq!(part(&r), "&supportcrypto=1&requirecrypto=1&port=0&cryptoport=6881");
    }

    #[test]
    fn scrape_urls() {
        assert_eq!(scrape_url("http://t/announce", &[]).unwrap(), "http://t/scrape");
        assert_eq!(scrape_url("http://t/x/announce.php?k=1", &[[1; 20]]).unwrap().split('&').count(), 2);
        assert!(scrape_url("http://t/x/announce.php?k=1", &[]).unwrap().starts_with("http://t/x/scrape.php?k=1"));
        assert_eq!(scrape_url("http://t/a", &[]), None);
        assert_eq!(
            scrape_url("http://t/announce?x", &[[0; 20]]).unwrap(),
            format!("http://t/scrape?x&info_hash={}", "%00".repeat(20))
        );
    }
}
