//! Tracker counters: relaxed atomics bumped on the request path, read into a
//! [`TrackerStats`] snapshot together with the store's totals.

use std::sync::atomic::{AtomicU64, Ordering};

/// Request counters since start.
#[derive(Debug, Default)]
pub struct Counters {
    /// Announces answered with peers (HTTP and UDP).
    pub announces: AtomicU64,
    /// Scrapes answered (HTTP and UDP).
    pub scrapes: AtomicU64,
    /// UDP connect requests answered.
    pub udp_connects: AtomicU64,
    /// Requests refused: malformed, not authorised, unknown torrent, bad connection id.
    pub rejected: AtomicU64,
    /// NAT checks that succeeded.
    pub nat_ok: AtomicU64,
    /// NAT checks that failed.
    pub nat_failed: AtomicU64,
    /// State-file saves done.
    pub saves: AtomicU64,
}

impl Counters {
    /// Adds one to a counter.
    pub fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// A snapshot of the tracker's state and counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrackerStats {
    /// Torrents tracked.
    pub torrents: u64,
    /// Seeds over all torrents.
    pub seeds: u64,
    /// Leechers over all torrents.
    pub leechers: u64,
    /// Announces answered.
    pub announces: u64,
    /// Scrapes answered.
    pub scrapes: u64,
    /// UDP connects answered.
    pub udp_connects: u64,
    /// Requests refused.
    pub rejected: u64,
    /// NAT checks passed.
    pub nat_ok: u64,
    /// NAT checks failed.
    pub nat_failed: u64,
    /// NAT check jobs waiting for a driver.
    pub nat_queued: u64,
    /// State-file saves done.
    pub saves: u64,
}

impl TrackerStats {
    /// Combines store totals (torrents, seeds, leechers), the counters and the NAT queue length.
    pub fn collect(totals: (u64, u64, u64), c: &Counters, nat_queued: usize) -> Self {
        TrackerStats {
            torrents: totals.0,
            seeds: totals.1,
            leechers: totals.2,
            announces: Counters::get(&c.announces),
            scrapes: Counters::get(&c.scrapes),
            udp_connects: Counters::get(&c.udp_connects),
            rejected: Counters::get(&c.rejected),
            nat_ok: Counters::get(&c.nat_ok),
            nat_failed: Counters::get(&c.nat_failed),
            nat_queued: nat_queued as u64,
            saves: Counters::get(&c.saves),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_reads_counters() {
        let c = Counters::default();
        Counters::bump(&c.announces);
        Counters::bump(&c.announces);
        Counters::bump(&c.rejected);
        let s = TrackerStats::collect((1, 2, 3), &c, 4);
        assert_eq!((s.torrents, s.seeds, s.leechers, s.announces, s.rejected, s.nat_queued), (1, 2, 3, 2, 1, 4));
    }
}
