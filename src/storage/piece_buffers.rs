//! A budgeted pool of in-memory piece buffers, reused across pieces and torrents.
//!
//! Received blocks of a piece are copied into one of these buffers while they are still hot in
//! the CPU cache; the complete piece is then hashed and, only when it verifies, written with one
//! positioned write on the hashing pool (see `Store::write_piece`). The pool bounds the memory
//! this takes: when the budget is spent, pieces fall back to block-by-block writes. Buffers are
//! kept for reuse (allocating and first-touching a fresh megabyte costs more than filling it)
//! and released after a few idle seconds so idle sessions hold none.

use std::time::{Duration, Instant};

/// Default budget: enough for a fast peer's pieces in flight plus those queued for hashing.
pub const DEFAULT_BUDGET: usize = 64 * 1024 * 1024;

/// How long unused buffers are kept.
const KEEP_IDLE: Duration = Duration::from_secs(5);

/// Piece buffers handed out and kept, within a byte budget.
#[derive(Debug)]
pub struct PieceBuffers {
    budget: usize,
    /// Bytes of buffers handed out and not yet given back.
    out: usize,
    /// Buffers ready for reuse.
    free: Vec<Vec<u8>>,
    free_bytes: usize,
    last_take: Option<Instant>,
}

impl PieceBuffers {
    /// A pool that holds at most `budget` bytes (0 disables buffering).
    pub fn new(budget: usize) -> PieceBuffers {
        PieceBuffers { budget, out: 0, free: Vec::new(), free_bytes: 0, last_take: None }
    }

    /// A buffer of at least `len` bytes (contents unspecified), or `None` when the budget is spent.
    pub fn take(&mut self, len: usize, now: Instant) -> Option<Vec<u8>> {
        if len == 0 || self.out + len > self.budget {
            return None;
        }
        self.last_take = Some(now);
        let fit = self.free.iter().enumerate().filter(|(_, b)| b.len() >= len).min_by_key(|(_, b)| b.len());
        let buf = match fit.map(|(i, _)| i) {
            Some(i) => {
                let buf = self.free.swap_remove(i);
                self.free_bytes -= buf.len();
                buf
            }
            None => {
                // Make room for a new buffer: drop kept ones that do not fit.
                while self.out + self.free_bytes + len > self.budget {
                    let Some(old) = self.free.pop() else { break };
                    self.free_bytes -= old.len();
                }
                vec![0; len]
            }
        };
        self.out += buf.len();
        Some(buf)
    }

    /// Returns a buffer from [`PieceBuffers::take`] for reuse.
    pub fn give_back(&mut self, buf: Vec<u8>) {
        self.out = self.out.saturating_sub(buf.len());
        if self.out + self.free_bytes + buf.len() <= self.budget {
            self.free_bytes += buf.len();
            self.free.push(buf);
        }
    }

    /// Releases kept buffers when none was taken for a while.
    pub fn trim(&mut self, now: Instant) {
        if self.last_take.is_none_or(|t| now.saturating_duration_since(t) >= KEEP_IDLE) {
            self.free = Vec::new();
            self.free_bytes = 0;
        }
    }

    /// Bytes handed out and not given back.
    pub fn outstanding(&self) -> usize {
        self.out
    }

    /// Bytes kept for reuse.
    pub fn kept(&self) -> usize {
        self.free_bytes
    }
}

impl Default for PieceBuffers {
    fn default() -> Self {
        PieceBuffers::new(DEFAULT_BUDGET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_bounds_buffers_out_and_kept() {
        let now = Instant::now();
        let mut pool = PieceBuffers::new(100);
        let a = pool.take(40, now).unwrap();
        let b = pool.take(40, now).unwrap();
        assert!(pool.take(40, now).is_none(), "over budget");
        assert_eq!(pool.outstanding(), 80);
        pool.give_back(a);
        let c = pool.take(30, now).unwrap();
        assert_eq!(c.len(), 40, "a kept buffer that fits is reused");
        pool.give_back(b);
        pool.give_back(c);
        assert_eq!((pool.outstanding(), pool.kept()), (0, 80));
        // A larger piece evicts kept buffers to stay within the budget.
        let big = pool.take(90, now).unwrap();
        assert_eq!(big.len(), 90);
        assert!(pool.kept() + pool.outstanding() <= 100);
        assert!(pool.take(0, now).is_none());
        assert!(PieceBuffers::new(0).take(1, now).is_none(), "budget 0 disables buffering");
    }

    #[test]
    fn idle_pool_releases_kept_buffers() {
        let t0 = Instant::now();
        let mut pool = PieceBuffers::new(1000);
        let a = pool.take(100, t0).unwrap();
        pool.give_back(a);
        pool.trim(t0 + Duration::from_secs(1));
        assert_eq!(pool.kept(), 100, "recently used: kept");
        pool.trim(t0 + KEEP_IDLE);
        assert_eq!(pool.kept(), 0, "idle: released");
    }
}
