//! How many block requests to keep outstanding with a peer.
//!
//! Too few outstanding requests cost far more than too many (libtorrent's "requesting pieces"
//! notes), so right after an unchoke a peer gets `initial_depth` requests (64), and once its
//! rate has been measured for `queue_time` the depth follows the rate: enough blocks to cover
//! `queue_time` (1 s) of transfer, kept within `[min_depth, max_depth]` and never above the
//! peer's advertised `reqq` (BEP 10), or 250 when it advertises none (the figure BEP 10 gives
//! for libtorrent): requests past `reqq` are dropped by the peer and clog the pipe until they
//! time out.

use std::time::Duration;

use crate::storage::BLOCK_SIZE;

/// Request pipelining settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineConfig {
    /// Requests kept outstanding before the rate is known (64).
    pub initial_depth: u32,
    /// Transfer time the outstanding requests should cover at the measured rate (1 s).
    pub queue_time: Duration,
    /// Fewest requests kept outstanding once the rate is known (8).
    pub min_depth: u32,
    /// Most requests kept outstanding with any peer (500, libtorrent's default ceiling).
    pub max_depth: u32,
    /// The peer's limit when it advertises no `reqq` (250).
    pub default_reqq: u32,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            initial_depth: 64,
            queue_time: Duration::from_secs(1),
            min_depth: 8,
            max_depth: 500,
            default_reqq: 250,
        }
    }
}

impl PipelineConfig {
    /// Requests to keep outstanding with a peer whose download rate to us is `rate` bytes per
    /// second, measured over `measured_for` since it unchoked us, and which advertised
    /// `peer_reqq` (BEP 10 `reqq`, `None` if absent). Always at least 1.
    pub fn depth(&self, rate: u64, measured_for: Duration, peer_reqq: Option<u32>) -> u32 {
        let by_rate = u128::from(rate) * self.queue_time.as_nanos() / 1_000_000_000;
        let by_rate = u32::try_from(by_rate.div_ceil(u128::from(BLOCK_SIZE))).unwrap_or(u32::MAX);
        let mut depth = by_rate.clamp(self.min_depth, self.max_depth.max(self.min_depth));
        if measured_for < self.queue_time {
            depth = depth.max(self.initial_depth);
        }
        let reqq = peer_reqq.filter(|&r| r > 0).unwrap_or(self.default_reqq);
        depth.min(reqq).min(self.max_depth).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn starts_deep_then_follows_the_rate() {
        let c = PipelineConfig::default();
        assert_eq!(c.depth(0, Duration::ZERO, None), 64);
        assert_eq!(c.depth(0, 5 * S, None), 8, "a silent peer keeps the floor");
        assert_eq!(c.depth(1_638_400, 5 * S, None), 100, "1.6 MB/s covers 100 blocks a second");
        assert_eq!(c.depth(1_638_401, 5 * S, None), 101, "rounded up");
        // A fast peer measured only briefly already gets its rate's worth.
        assert_eq!(c.depth(3_276_800, Duration::from_millis(200), None), 200);
    }

    #[test]
    fn never_above_the_peer_reqq_or_the_ceiling() {
        let c = PipelineConfig::default();
        assert_eq!(c.depth(u64::MAX, 5 * S, None), 250, "default reqq");
        assert_eq!(c.depth(u64::MAX, 5 * S, Some(2000)), 500, "our ceiling");
        assert_eq!(c.depth(u64::MAX, 5 * S, Some(16)), 16);
        assert_eq!(c.depth(0, Duration::ZERO, Some(16)), 16, "even right after unchoke");
        assert_eq!(c.depth(0, Duration::ZERO, Some(0)), 64, "a zero reqq is ignored");
        let tiny = PipelineConfig { initial_depth: 0, min_depth: 0, ..PipelineConfig::default() };
        assert_eq!(tiny.depth(0, 5 * S, None), 1, "at least one request");
    }

    #[test]
    fn longer_queue_time_means_deeper_queues() {
        let c = PipelineConfig { queue_time: 3 * S, ..PipelineConfig::default() };
        assert_eq!(c.depth(163_840, 5 * S, None), 30);
        assert_eq!(c.depth(163_840, 2 * S, None), 64, "still measuring: initial depth");
    }
}
