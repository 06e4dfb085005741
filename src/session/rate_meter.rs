//! Transfer rate over a sliding window, for the choker and request pipelining.
//!
//! Bytes are added to one-slot counters of a ring covering `window` (BitTornado's
//! `max_rate_period`, 20 s). The rate is the bytes in the ring divided by the time the ring
//! covers, or by the meter's age while it is younger than the window, and never by less than
//! one slot, so a first burst does not read as an absurd rate. Time is passed in.

use std::time::{Duration, Instant};

/// Sliding-window rate meter. Tracks:
/// 1. bytes per slot for the last `slots.len()` slots, the newest at `newest % len`;
/// 2. the absolute number of the newest slot since `origin`;
/// 3. the total bytes ever added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateMeter {
    /// When the meter started.
    origin: Instant,
    /// Length of one slot, > 0.
    slot: Duration,
    /// Ring of per-slot byte counts (at least 2 slots).
    slots: Vec<u64>,
    /// Absolute index of the newest slot.
    newest: u64,
    /// Bytes added since the start.
    total: u64,
}

impl RateMeter {
    /// A meter averaging over `window`, cut into `slots` slots (at least 2), starting at `now`.
    pub fn new(now: Instant, window: Duration, slots: u32) -> RateMeter {
        let n = slots.max(2);
        let slot = (window / n).max(Duration::from_millis(1));
        RateMeter { origin: now, slot, slots: vec![0; n as usize], newest: 0, total: 0 }
    }

    /// BitTornado's meter: 20 s in 20 slots of 1 s.
    pub fn twenty_seconds(now: Instant) -> RateMeter {
        RateMeter::new(now, Duration::from_secs(20), 20)
    }

    fn slot_of(&self, now: Instant) -> u64 {
        (now.saturating_duration_since(self.origin).as_nanos() / self.slot.as_nanos()) as u64
    }

    /// Moves the ring forward to `now`, zeroing the slots that passed.
    fn advance(&mut self, now: Instant) {
        let at = self.slot_of(now);
        if at <= self.newest {
            return;
        }
        let len = self.slots.len() as u64;
        let first = self.newest + 1;
        for s in first.max(at.saturating_sub(len - 1))..=at {
            self.slots[(s % len) as usize] = 0;
        }
        self.newest = at;
    }

    /// Records `bytes` moved at `now` (times earlier than the newest slot count in it).
    pub fn add(&mut self, now: Instant, bytes: u64) {
        self.advance(now);
        let len = self.slots.len() as u64;
        let s = &mut self.slots[(self.newest % len) as usize];
        *s = s.saturating_add(bytes);
        self.total = self.total.saturating_add(bytes);
    }

    /// Bytes per second over the window ending at `now`.
    pub fn rate(&mut self, now: Instant) -> u64 {
        self.advance(now);
        let slot = self.slot.as_nanos();
        let age = now.saturating_duration_since(self.origin).as_nanos();
        let into_newest = age.saturating_sub(slot * u128::from(self.newest));
        let ring_span = slot * (self.slots.len() as u128 - 1) + into_newest;
        let span = age.min(ring_span).max(slot);
        let bytes: u128 = self.slots.iter().map(|&b| u128::from(b)).sum();
        (bytes * 1_000_000_000 / span).min(u128::from(u64::MAX)) as u64
    }

    /// Bytes added since the meter started.
    pub fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn steady_flow_reads_its_rate() {
        let t0 = Instant::now();
        let mut m = RateMeter::twenty_seconds(t0);
        for ms in (0..60_000u32).step_by(100) {
            m.add(t0 + Duration::from_millis(u64::from(ms)), 5_000);
        }
        let r = m.rate(t0 + Duration::from_secs(60));
        assert!((49_000..=51_000).contains(&r), "{r}");
        assert_eq!(m.total(), 600 * 5_000);
    }

    #[test]
    fn young_meter_divides_by_its_age_but_at_least_one_slot() {
        let t0 = Instant::now();
        let mut m = RateMeter::twenty_seconds(t0);
        m.add(t0 + Duration::from_millis(10), 16_384);
        assert_eq!(m.rate(t0 + Duration::from_millis(10)), 16_384, "one slot minimum");
        m.add(t0 + 3 * S, 16_384);
        assert_eq!(m.rate(t0 + 4 * S), 8_192, "32 KiB over 4 s");
    }

    #[test]
    fn old_traffic_leaves_the_window() {
        let t0 = Instant::now();
        let mut m = RateMeter::new(t0, 10 * S, 10);
        m.add(t0, 100_000);
        assert!(m.rate(t0 + 5 * S) > 0);
        assert_eq!(m.rate(t0 + 11 * S), 0);
        m.add(t0 + 100 * S, 10_000);
        // The ring covers slots 91..=100: 9.5 s.
        assert_eq!(m.rate(t0 + Duration::from_millis(100_500)), 1_052);
        assert_eq!(m.total(), 110_000);
    }

    #[test]
    fn stopped_flow_decays_to_zero() {
        let t0 = Instant::now();
        let mut m = RateMeter::new(t0, 4 * S, 4);
        for s in 0..8u32 {
            m.add(t0 + s * S, 4_000);
        }
        let before = m.rate(t0 + 8 * S);
        let mid = m.rate(t0 + 10 * S);
        assert!(before > mid && mid > 0, "{before} {mid}");
        assert_eq!(m.rate(t0 + 12 * S), 0);
    }

    #[test]
    fn out_of_order_times_do_not_panic_or_rewind() {
        let t0 = Instant::now() + 10 * S;
        let mut m = RateMeter::new(t0, 4 * S, 4);
        m.add(t0 + 5 * S, 1_000);
        m.add(t0 + S, 1_000);
        m.add(t0 - 5 * S, 1_000);
        assert_eq!(m.total(), 3_000);
        assert_eq!(m.rate(t0 - 5 * S), 3_000, "earlier times read the newest slot");
    }
}
