//! HTTP seeding: downloading pieces from web servers named in the metainfo, BEP 17
//! (`httpseeds`, a script serving pieces) and BEP 19 (`url-list`, a plain server holding the
//! files). Sans-I/O cores: [`url`] builds URLs, [`plan`] turns a span of a piece into HTTP
//! requests (several when the piece spans files; pad files are zeros), [`reply`] checks a reply
//! (status, `Content-Range`, length, the 503 retry delay) and [`seed`] is one seed's state
//! machine (which piece it fetches, backoff after failures, ban after corrupt data). The
//! reactor's side is [`fetch`] (one HTTP exchange on a mio socket) and [`swarm`] (a torrent's
//! web seeds: picking pieces and feeding the bytes to the torrent as 16 KiB blocks).

pub mod fetch;
pub mod plan;
pub mod reply;
pub mod seed;
pub mod swarm;
pub mod url;

pub use plan::{Part, Source, WebFile};
pub use reply::Reply;
pub use seed::{SeedConfig, Step, WebSeed};
pub use swarm::WebSeeds;
pub use url::SeedKind;

use crate::announce::http_client::HttpError;
use std::time::Duration;

/// Why a web seed request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebSeedError {
    /// The URL cannot be used (not plain http, no host).
    #[error("web seed URL {url:?} is not usable: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server answered with an unexpected status.
    #[error("HTTP status {status} for {url}")]
    Status {
        /// The status code.
        status: u16,
        /// The URL asked.
        url: String,
    },
    /// The server is busy (503) and asked to come back later.
    #[error("server busy (HTTP 503), retry in {} s", retry.as_secs())]
    Busy {
        /// How long to wait.
        retry: Duration,
    },
    /// The reply's `Content-Range` does not name the bytes asked for.
    #[error("Content-Range {got:?} does not match the requested bytes {first}-{last}")]
    Range {
        /// First byte asked.
        first: u64,
        /// Last byte asked (inclusive).
        last: u64,
        /// The header received (empty when missing).
        got: String,
    },
    /// The body does not have the length asked for.
    #[error("reply has {got} bytes where {expected} were asked")]
    Length {
        /// Bytes asked.
        expected: u64,
        /// Bytes received.
        got: u64,
    },
    /// The reply was not valid HTTP, too large, or cut short.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// Name resolution, connecting, reading or writing failed.
    #[error("connection to web seed failed: {0}")]
    Network(String),
    /// No byte arrived for too long.
    #[error("web seed timed out (no data for {} s)", .0.as_secs())]
    Timeout(Duration),
    /// The request took longer than allowed in all.
    #[error("web seed request not complete after {} s", .0.as_secs())]
    TooSlow(Duration),
    /// Too many redirects.
    #[error("web seed redirected more than {0} times")]
    Redirects(usize),
    /// The seed served data that failed the hash check; it is dropped.
    #[error("web seed served corrupt data (piece {piece} failed its hash check); dropped")]
    Corrupt {
        /// The piece.
        piece: u32,
    },
}
