//! Token buckets for upload and download rate limits.
//!
//! Rates are in bytes per second; the command-line `--max_upload_rate` and
//! `--max_download_rate` are kB/s with kB = 1000 bytes, as in BitTornado ([`Rate::from_kb`]),
//! and 0 means unlimited. A transfer that is limited both globally and per torrent draws from
//! both buckets at once ([`take_from_both`]). Time is always passed in.

use std::time::{Duration, Instant};

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// A transfer rate in bytes per second; zero means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Rate(pub u64);

impl Rate {
    /// No limit.
    pub const UNLIMITED: Rate = Rate(0);

    /// A rate given in kB/s (1 kB = 1000 bytes, BitTornado's unit); 0 is unlimited.
    pub fn from_kb(kb: u64) -> Rate {
        Rate(kb.saturating_mul(1000))
    }

    /// Whether this rate imposes no limit.
    pub fn is_unlimited(self) -> bool {
        self.0 == 0
    }
}

/// A token bucket. Tracks:
/// 1. the tokens (bytes) available now, which may go negative after [`TokenBucket::charge`];
/// 2. the fraction of a token earned but not yet credited, so slow rates lose nothing;
/// 3. the time of the last refill, the rate and the burst cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBucket {
    /// Bytes per second; 0 = unlimited.
    rate: u64,
    /// Most tokens the bucket holds: `rate × burst time`, at least 1.
    cap: i64,
    /// How long a full bucket lasts at the rate.
    burst: Duration,
    /// Current tokens; `<= cap`.
    tokens: i64,
    /// Token fraction in units of 1e-9 token, `< 1e9`.
    frac: u128,
    /// Last refill.
    last: Instant,
}

fn cap_for(rate: u64, burst: Duration) -> i64 {
    let bytes = u128::from(rate) * burst.as_nanos() / NANOS_PER_SEC;
    i64::try_from(bytes).unwrap_or(i64::MAX).max(1)
}

impl TokenBucket {
    /// A full bucket that refills at `rate` and holds at most `burst` worth of it.
    pub fn new(rate: Rate, burst: Duration, now: Instant) -> TokenBucket {
        let cap = cap_for(rate.0, burst);
        TokenBucket { rate: rate.0, cap, burst, tokens: cap, frac: 0, last: now }
    }

    /// The rate in force.
    pub fn rate(&self) -> Rate {
        Rate(self.rate)
    }

    /// Changes the rate; tokens earned so far are credited at the old rate first.
    pub fn set_rate(&mut self, now: Instant, rate: Rate) {
        self.refill(now);
        self.rate = rate.0;
        self.cap = cap_for(rate.0, self.burst);
        self.tokens = self.tokens.min(self.cap);
    }

    fn refill(&mut self, now: Instant) {
        let Some(elapsed) = now.checked_duration_since(self.last) else { return };
        self.last = now;
        if self.rate == 0 {
            return;
        }
        let earned = elapsed.as_nanos() * u128::from(self.rate) + self.frac;
        let whole = i64::try_from(earned / NANOS_PER_SEC).unwrap_or(i64::MAX);
        self.frac = earned % NANOS_PER_SEC;
        self.tokens = self.tokens.saturating_add(whole);
        if self.tokens >= self.cap {
            self.tokens = self.cap;
            self.frac = 0;
        }
    }

    /// Bytes that may move now (`u64::MAX` when unlimited).
    pub fn available(&mut self, now: Instant) -> u64 {
        if self.rate == 0 {
            return u64::MAX;
        }
        self.refill(now);
        self.tokens.max(0) as u64
    }

    /// Grants up to `want` bytes now and deducts them.
    pub fn take(&mut self, now: Instant, want: u64) -> u64 {
        let grant = want.min(self.available(now));
        self.deduct(grant);
        grant
    }

    /// Deducts `bytes` that moved regardless of the limit (received data, protocol overhead);
    /// the bucket may go into debt, delaying later grants.
    pub fn charge(&mut self, now: Instant, bytes: u64) {
        self.refill(now);
        self.deduct(bytes);
    }

    fn deduct(&mut self, bytes: u64) {
        if self.rate != 0 {
            self.tokens = self.tokens.saturating_sub(i64::try_from(bytes).unwrap_or(i64::MAX));
        }
    }

    /// How long until `want` bytes (capped at the bucket size) are available: zero when they
    /// are now or the bucket is unlimited.
    pub fn time_until(&mut self, now: Instant, want: u64) -> Duration {
        if self.rate == 0 {
            return Duration::ZERO;
        }
        self.refill(now);
        let want = i64::try_from(want).unwrap_or(i64::MAX).min(self.cap);
        if self.tokens >= want {
            return Duration::ZERO;
        }
        let missing = (want - self.tokens) as u128 * NANOS_PER_SEC - self.frac;
        let nanos = missing.div_ceil(u128::from(self.rate));
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// Grants up to `want` bytes that both buckets allow (a torrent's own limit and the global
/// one) and deducts the grant from both.
pub fn take_from_both(now: Instant, a: &mut TokenBucket, b: &mut TokenBucket, want: u64) -> u64 {
    let grant = want.min(a.available(now)).min(b.available(now));
    a.deduct(grant);
    b.deduct(grant);
    grant
}

/// How long until both buckets allow `want` bytes.
pub fn time_until_both(now: Instant, a: &mut TokenBucket, b: &mut TokenBucket, want: u64) -> Duration {
    a.time_until(now, want).max(b.time_until(now, want))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn kilobytes_are_thousands() {
        assert_eq!(Rate::from_kb(20), Rate(20_000));
        assert!(Rate::from_kb(0).is_unlimited());
        assert_eq!(Rate::from_kb(u64::MAX), Rate(u64::MAX));
    }

    #[test]
    fn starts_full_and_refills_at_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(Rate(1000), 2 * SEC, t0);
        assert_eq!(b.available(t0), 2000);
        assert_eq!(b.take(t0, 5000), 2000);
        assert_eq!(b.take(t0, 1), 0);
        assert_eq!(b.available(t0 + Duration::from_millis(500)), 500);
        assert_eq!(b.take(t0 + Duration::from_millis(750), 10_000), 750);
        // Capped at the burst after a long pause.
        assert_eq!(b.available(t0 + Duration::from_secs(100)), 2000);
    }

    #[test]
    fn slow_rates_keep_fractions() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(Rate(3), 10 * SEC, t0);
        assert_eq!(b.take(t0, 100), 30);
        let mut got = 0;
        for ms in (100..=2000).step_by(100) {
            got += b.take(t0 + Duration::from_millis(ms), 100);
        }
        assert_eq!(got, 6, "3 B/s over 2 s, in 100 ms steps");
    }

    #[test]
    fn unlimited_grants_everything() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(Rate::UNLIMITED, SEC, t0);
        assert_eq!(b.take(t0, u64::MAX), u64::MAX);
        b.charge(t0, 1 << 40);
        assert_eq!(b.available(t0), u64::MAX);
        assert_eq!(b.time_until(t0, 1 << 30), Duration::ZERO);
    }

    #[test]
    fn charge_creates_debt_and_time_until_reports_it() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(Rate(1000), SEC, t0);
        b.charge(t0, 1500);
        assert_eq!(b.available(t0), 0);
        assert_eq!(b.time_until(t0, 100), Duration::from_millis(600));
        assert_eq!(b.available(t0 + Duration::from_millis(599)), 99);
        assert_eq!(b.time_until(t0 + Duration::from_millis(599), 100), Duration::from_millis(1));
        // Wants above the bucket size wait only for a full bucket.
        assert_eq!(b.time_until(t0 + Duration::from_millis(599), 1_000_000), Duration::from_millis(901));
    }

    #[test]
    fn set_rate_credits_old_rate_first() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(Rate(1000), SEC, t0);
        b.take(t0, 1000);
        b.set_rate(t0 + Duration::from_millis(500), Rate(10_000));
        assert_eq!(b.available(t0 + Duration::from_millis(500)), 500);
        assert_eq!(b.available(t0 + Duration::from_millis(600)), 1500);
        b.set_rate(t0 + Duration::from_millis(600), Rate(100));
        assert_eq!(b.available(t0 + Duration::from_millis(600)), 100, "clamped to the new cap");
        assert_eq!(b.rate(), Rate(100));
    }

    #[test]
    fn time_going_backwards_is_ignored() {
        let t0 = Instant::now() + SEC;
        let mut b = TokenBucket::new(Rate(1000), SEC, t0);
        b.take(t0, 1000);
        assert_eq!(b.available(t0 - Duration::from_millis(500)), 0);
        assert_eq!(b.available(t0 + Duration::from_millis(10)), 10);
    }

    #[test]
    fn both_buckets_limit_and_pay() {
        let t0 = Instant::now();
        let mut global = TokenBucket::new(Rate(1000), SEC, t0);
        let mut torrent = TokenBucket::new(Rate(400), SEC, t0);
        assert_eq!(take_from_both(t0, &mut global, &mut torrent, 5000), 400);
        assert_eq!(global.available(t0), 600);
        assert_eq!(take_from_both(t0, &mut global, &mut torrent, 5000), 0);
        let mut other = TokenBucket::new(Rate::UNLIMITED, SEC, t0);
        assert_eq!(take_from_both(t0, &mut global, &mut other, 5000), 600);
        assert_eq!(time_until_both(t0, &mut global, &mut torrent, 200), Duration::from_millis(500));
    }

    #[test]
    fn long_run_average_matches_rate() {
        // Draining every 7 ms at 50 kB/s moves the initial burst plus the rate over the rest.
        let t0 = Instant::now();
        let mut b = TokenBucket::new(Rate::from_kb(50), SEC, t0);
        let mut moved = 0;
        for step in 1..=1428u64 {
            moved += b.take(t0 + Duration::from_millis(7 * step), u64::MAX);
        }
        assert_eq!(moved, 50_000 + 50 * (9996 - 7));
    }
}
