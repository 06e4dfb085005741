//! The tracker client, sans-I/O: announce and scrape requests for HTTP (BEP 3, 23, 7, 48) and
//! UDP (BEP 15) trackers, reply parsing, and multitracker tiers (BEP 12). The engine's reactor
//! does the I/O; everything here builds bytes and parses bytes.

pub mod http_client;
pub mod request;
pub mod response;
pub mod tiers;
pub mod udp;
pub mod url;

pub use request::{AnnounceCrypto, AnnounceRequest, Event};
pub use response::{AnnounceReply, ReplyError, ScrapeReply, ScrapeStats};
pub use tiers::TrackerTiers;
pub use url::{TrackerUrl, UrlError};
