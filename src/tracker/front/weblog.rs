//! The tracker's web log: one Apache-like line per HTTP response, as BitTornado wrote it
//! (`<ip> <ident> - [DD/Mon/YYYY:HH:MM:SS] "<request line>" <status> <bytes> "<referer>" "<agent>"`).
//!
//! Each worker formats into its own [`LogBuffer`] and hands the bytes to the shared [`WebLog`]
//! sink at most every flush interval, so logging costs the request path a few hundred
//! nanoseconds and no lock.

use std::io::Write;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// A buffer is handed to the sink early once it grows past this many bytes.
const EARLY_FLUSH_BYTES: usize = 256 * 1024;

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Where log lines end up (stdout or a log file), shared by all workers.
pub struct WebLog {
    sink: Mutex<Box<dyn Write + Send>>,
    flush_interval: Duration,
}

impl std::fmt::Debug for WebLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebLog").field("flush_interval", &self.flush_interval).finish_non_exhaustive()
    }
}

impl WebLog {
    /// A log writing to `sink`, with worker buffers handed over at most every `flush_interval`.
    pub fn new(sink: Box<dyn Write + Send>, flush_interval: Duration) -> Self {
        WebLog { sink: Mutex::new(sink), flush_interval }
    }

    /// How long a worker may hold log lines before handing them to the sink.
    pub fn flush_interval(&self) -> Duration {
        self.flush_interval
    }

    /// Writes `bytes` to the sink and flushes it; write errors are ignored (a full disk must
    /// not stop the tracker).
    pub fn write_through(&self, bytes: &[u8]) {
        let mut sink = self.sink.lock();
        let _ = sink.write_all(bytes);
        let _ = sink.flush();
    }

    /// Replaces the sink (e.g. the log file reopened on SIGHUP), flushing the old one.
    pub fn replace_sink(&self, sink: Box<dyn Write + Send>) {
        let mut guard = self.sink.lock();
        let _ = guard.flush();
        *guard = sink;
    }
}

/// What one log line says about one response.
#[derive(Debug, Clone, Copy)]
pub struct LogEntry<'a> {
    /// The client's address.
    pub ip: IpAddr,
    /// True when the body was sent gzip-compressed (the ident field then reads `gzip`).
    pub gzip: bool,
    /// The request line as received, without the line end.
    pub request_line: &'a [u8],
    /// The response status code.
    pub status: u16,
    /// The number of body bytes sent.
    pub bytes: usize,
    /// The `Referer` header, if any.
    pub referer: Option<&'a [u8]>,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<&'a [u8]>,
}

/// One worker's pending log lines and its cached timestamp text.
#[derive(Debug)]
pub struct LogBuffer {
    buf: Vec<u8>,
    last_flush: Instant,
    stamp_second: i64,
    stamp: String,
}

impl Default for LogBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl LogBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        LogBuffer {
            buf: Vec::with_capacity(16 * 1024),
            last_flush: Instant::now(),
            stamp_second: i64::MIN,
            stamp: String::new(),
        }
    }

    /// Appends the line for `entry`, stamped with local time at `unix_seconds`.
    pub fn record(&mut self, entry: &LogEntry<'_>, unix_seconds: i64) {
        if unix_seconds != self.stamp_second {
            self.stamp = log_timestamp(unix_seconds);
            self.stamp_second = unix_seconds;
        }
        let b = &mut self.buf;
        let _ = write!(b, "{} {} - [{}] \"", entry.ip, if entry.gzip { "gzip" } else { "-" }, self.stamp);
        push_escaped(b, entry.request_line);
        let _ = write!(b, "\" {} {} \"", entry.status, entry.bytes);
        push_escaped(b, entry.referer.unwrap_or(b"-"));
        b.extend_from_slice(b"\" \"");
        push_escaped(b, entry.user_agent.unwrap_or(b"-"));
        b.extend_from_slice(b"\"\n");
    }

    /// The lines not yet handed to the sink.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Hands the pending lines to `log` when the flush interval has passed or the buffer is big.
    pub fn maybe_flush(&mut self, log: &WebLog, now: Instant) {
        if self.buf.is_empty() {
            self.last_flush = now;
            return;
        }
        if self.buf.len() >= EARLY_FLUSH_BYTES || now.duration_since(self.last_flush) >= log.flush_interval {
            self.flush(log, now);
        }
    }

    /// Hands the pending lines to `log` now.
    pub fn flush(&mut self, log: &WebLog, now: Instant) {
        if !self.buf.is_empty() {
            log.write_through(&self.buf);
            self.buf.clear();
        }
        self.last_flush = now;
    }
}

/// `DD/Mon/YYYY:HH:MM:SS` in local time, as BitTornado's log shows it.
pub fn log_timestamp(unix_seconds: i64) -> String {
    let tm = local_tm(unix_seconds);
    let month = MONTHS.get(tm.tm_mon as usize).copied().unwrap_or("???");
    format!("{:02}/{}/{:04}:{:02}:{:02}:{:02}", tm.tm_mday, month, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec)
}

/// `YYYY-MM-DD HH:MM UTC`, BitTornado's `isotime` (startup, shutdown and log-reopen lines).
pub fn isotime(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let secs = unix_seconds % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn local_tm(unix_seconds: i64) -> libc::tm {
    let t: libc::time_t = unix_seconds as libc::time_t;
    // SAFETY: all-zero is a valid `tm`; localtime_r only writes into it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call.
    unsafe { libc::localtime_r(&t, &mut tm) };
    tm
}

/// Copies `bytes`, escaping control characters, `"` and `\\` so one request stays one line.
/// Runs of plain bytes are copied in one go.
fn push_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let needs_escape = |c: &u8| matches!(*c, b'"' | b'\\' | 0..=0x1f | 0x7f);
    let mut rest = bytes;
    while let Some(i) = rest.iter().position(needs_escape) {
        out.extend_from_slice(&rest[..i]);
        let c = rest[i];
        if c == b'"' || c == b'\\' {
            out.push(b'\\');
            out.push(c);
        } else {
            let _ = write!(out, "\\x{c:02x}");
        }
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn line_has_the_bittornado_shape() {
        let mut lb = LogBuffer::new();
        let entry = LogEntry {
            ip: "10.0.0.5".parse().unwrap(),
            gzip: false,
            request_line: b"GET /announce?x=1 HTTP/1.0",
            status: 200,
            bytes: 62,
            referer: None,
            user_agent: Some(b"BitTornado/T-0.3.18"),
        };
        lb.record(&entry, 1_141_740_131);
        let line = String::from_utf8(lb.pending().to_vec()).unwrap();
        let stamp = log_timestamp(1_141_740_131);
        assert_eq!(
            line,
            format!("10.0.0.5 - - [{stamp}] \"GET /announce?x=1 HTTP/1.0\" 200 62 \"-\" \"BitTornado/T-0.3.18\"\n")
        );
        assert_eq!(stamp.len(), 20);
        assert_eq!(&stamp[2..3], "/");
        assert!(MONTHS.contains(&&stamp[3..6]), "{stamp}");
        assert!(stamp[7..11].starts_with("200"), "{stamp}");
    }

    #[test]
    fn gzip_ident_and_escaping() {
        let mut lb = LogBuffer::new();
        let entry = LogEntry {
            ip: "::1".parse().unwrap(),
            gzip: true,
            request_line: b"GET /\"x\n HTTP/1.1",
            status: 400,
            bytes: 0,
            referer: Some(b"http://r/"),
            user_agent: None,
        };
        lb.record(&entry, 0);
        let line = String::from_utf8(lb.pending().to_vec()).unwrap();
        assert!(line.starts_with("::1 gzip - ["), "{line}");
        assert!(line.ends_with("] \"GET /\\\"x\\x0a HTTP/1.1\" 400 0 \"http://r/\" \"-\"\n"), "{line}");
        assert_eq!(line.matches('\n').count(), 1);
    }

    #[test]
    fn isotime_is_utc() {
        assert_eq!(isotime(0), "1970-01-01 00:00 UTC");
        assert_eq!(isotime(951_782_400 + 86_399), "2000-02-29 23:59 UTC");
        assert_eq!(isotime(1_764_000_000), "2025-11-24 16:00 UTC");
    }

    #[test]
    fn flushes_only_after_the_interval() {
        let out = Shared::default();
        let log = WebLog::new(Box::new(out.clone()), Duration::from_secs(3));
        let mut lb = LogBuffer::new();
        let t0 = Instant::now();
        lb.flush(&log, t0);
        let entry = LogEntry {
            ip: "1.2.3.4".parse().unwrap(),
            gzip: false,
            request_line: b"GET / HTTP/1.1",
            status: 200,
            bytes: 1,
            referer: None,
            user_agent: None,
        };
        lb.record(&entry, 5);
        lb.maybe_flush(&log, t0 + Duration::from_secs(1));
        assert!(out.0.lock().is_empty());
        lb.maybe_flush(&log, t0 + Duration::from_secs(4));
        assert_eq!(out.0.lock().iter().filter(|&&c| c == b'\n').count(), 1);
        assert!(lb.pending().is_empty());
    }
}
