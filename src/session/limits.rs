//! Rate limits as the reactor applies them: the session's token buckets shared by every
//! torrent, and each torrent's own; a transfer must fit in both.

use super::rate_limit::{Rate, TokenBucket};
use crate::storage::BLOCK_SIZE;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Upload and download token buckets shared by every torrent of a session.
#[derive(Debug)]
pub struct GlobalLimits {
    /// Upload limit.
    pub up: TokenBucket,
    /// Download limit.
    pub down: TokenBucket,
}

/// A torrent's own buckets plus the session's.
#[derive(Debug)]
pub struct Limits {
    /// The session's buckets.
    pub global: Arc<parking_lot::Mutex<GlobalLimits>>,
    /// This torrent's upload bucket.
    pub up: TokenBucket,
    /// This torrent's download bucket.
    pub down: TokenBucket,
}

/// A bucket for `rate` bytes/s holding at least one second or four blocks, whichever is more.
pub fn bucket(rate: u64, now: Instant) -> TokenBucket {
    let burst = if rate == 0 {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(1).max(Duration::from_secs_f64(4.0 * f64::from(BLOCK_SIZE) / rate as f64))
    };
    TokenBucket::new(Rate(rate), burst, now)
}

impl Limits {
    /// True when either this torrent or the session limits a direction.
    pub fn any(&self) -> bool {
        let g = self.global.lock();
        !(g.up.rate().is_unlimited()
            && g.down.rate().is_unlimited()
            && self.up.rate().is_unlimited()
            && self.down.rate().is_unlimited())
    }
}
