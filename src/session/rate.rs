//! Transfer rate meters: bytes per second over a sliding window of one-second buckets.

use std::time::Instant;

const BUCKETS: usize = 20;

/// A rate meter over the last 20 seconds (BitTornado's `max_rate_period`), reactive at the
/// start: until 20 seconds have passed the rate is over the time elapsed so far.
#[derive(Debug, Clone)]
pub struct RateMeter {
    start: Option<Instant>,
    buckets: [u64; BUCKETS],
    current: u64,
    total: u64,
}

impl Default for RateMeter {
    fn default() -> Self {
        RateMeter { start: None, buckets: [0; BUCKETS], current: 0, total: 0 }
    }
}

impl RateMeter {
    fn second(&mut self, now: Instant) -> u64 {
        let start = *self.start.get_or_insert(now);
        now.saturating_duration_since(start).as_secs()
    }

    fn roll(&mut self, now: Instant) {
        let sec = self.second(now);
        while self.current < sec {
            self.current += 1;
            self.buckets[(self.current as usize) % BUCKETS] = 0;
            if sec - self.current > BUCKETS as u64 {
                self.buckets = [0; BUCKETS];
                self.current = sec;
            }
        }
    }

    /// Records `bytes` transferred at `now`.
    pub fn add(&mut self, now: Instant, bytes: u64) {
        self.roll(now);
        self.buckets[(self.current as usize) % BUCKETS] += bytes;
        self.total += bytes;
    }

    /// Bytes per second at `now`.
    pub fn rate(&mut self, now: Instant) -> f64 {
        self.roll(now);
        let Some(start) = self.start else { return 0.0 };
        let elapsed = now.saturating_duration_since(start).as_secs_f64();
        let window = elapsed.clamp(1.0, BUCKETS as f64);
        self.buckets.iter().sum::<u64>() as f64 / window
    }

    /// Bytes recorded since the meter was made.
    pub fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn window() {
        let t0 = Instant::now();
        let mut m = RateMeter::default();
        m.add(t0, 1000);
        assert_eq!(m.rate(t0), 1000.0);
        m.add(t0 + Duration::from_secs(1), 1000);
        assert!((m.rate(t0 + Duration::from_secs(2)) - 1000.0).abs() < 1.0);
        assert_eq!(m.rate(t0 + Duration::from_secs(100)), 0.0);
        assert_eq!(m.total(), 2000);
    }
}
