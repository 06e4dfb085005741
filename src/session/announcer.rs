//! When and what to announce for one torrent: BEP 12 tiers, the interval and min interval the
//! tracker gave, the started / completed / stopped events, retries after failures, and scrapes
//! (BEP 48: asked for, or when an announce reply leaves out the swarm's counts). Sans-I/O: the
//! reactor asks [`Announcer::due`] and [`Announcer::due_scrape`] for the next request, performs
//! it, and reports the outcome.

use crate::announce::{AnnounceReply, AnnounceRequest, Event, ScrapeStats, TrackerTiers};
use std::time::{Duration, Instant};

/// Default interval until a tracker says otherwise (BitTornado: 1800 s).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1800);
/// Delay before retrying after a failure (BitTornado: 60 s while nothing succeeded).
pub const RETRY_DELAY: Duration = Duration::from_secs(60);
/// Shortest interval accepted from a tracker, to bound load from a hostile one.
pub const MIN_ACCEPTED_INTERVAL: Duration = Duration::from_secs(30);

/// One announce to perform now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAnnounce {
    /// Tracker URL.
    pub url: String,
    /// Tier and index of the URL, to report the outcome.
    pub position: (usize, usize),
    /// The event carried.
    pub event: Option<Event>,
    /// The tracker id to echo.
    pub tracker_id: Option<Vec<u8>>,
}

/// Announce scheduling state of one torrent.
#[derive(Debug, Clone)]
pub struct Announcer {
    tiers: TrackerTiers,
    next: Option<Instant>,
    event: Option<Event>,
    interval: Duration,
    min_interval: Duration,
    tracker_id: Option<Vec<u8>>,
    in_flight: bool,
    attempt: usize,
    /// The key sent with every announce.
    pub key: u32,
    /// Last error text, for status.
    pub last_error: Option<String>,
    /// Last warning text, for status.
    pub last_warning: Option<String>,
    /// Seeds and leechers last reported.
    pub swarm: Option<(u64, u64)>,
    /// Completed downloads the tracker recorded, from the last scrape.
    pub downloaded: Option<u64>,
    succeeded: bool,
    scrape_wanted: bool,
    scrape_in_flight: bool,
    /// The tracker that answered the last announce: the one scraped.
    last_answered: Option<String>,
    /// `stopped` was queued since the last (re)start.
    stopped: bool,
}

impl Announcer {
    /// A schedule that announces `started` at `now`.
    pub fn new(tiers: TrackerTiers, key: u32, now: Instant) -> Announcer {
        Announcer {
            tiers,
            next: Some(now),
            event: Some(Event::Started),
            interval: DEFAULT_INTERVAL,
            min_interval: Duration::ZERO,
            tracker_id: None,
            in_flight: false,
            attempt: 0,
            key,
            last_error: None,
            last_warning: None,
            swarm: None,
            downloaded: None,
            succeeded: false,
            scrape_wanted: false,
            scrape_in_flight: false,
            last_answered: None,
            stopped: false,
        }
    }

    /// Adds tracker `url` to tier `tier` (see [`TrackerTiers::add`]); false when listed already.
    /// A torrent that had no tracker announces to it at once (`started`, or `completed`'s
    /// `left=0` once done).
    pub fn add_tracker(&mut self, url: &str, tier: usize, now: Instant) -> bool {
        let was_empty = self.tiers.is_empty();
        if !self.tiers.add(url, tier) {
            return false;
        }
        if was_empty && !self.in_flight {
            self.attempt = 0;
            self.next = Some(self.next.map_or(now, |t| t.min(now)));
        }
        true
    }

    /// True when the torrent has no tracker.
    pub fn is_empty(&self) -> bool {
        self.tiers.is_empty()
    }

    /// The next announce to perform at `now`, if one is due.
    pub fn due(&mut self, now: Instant) -> Option<DueAnnounce> {
        if self.in_flight || self.tiers.is_empty() || self.next.is_none_or(|t| t > now) {
            return None;
        }
        let count = self.tiers.iter().count();
        let (tier, index, url) = self.tiers.iter().nth(self.attempt % count)?;
        self.in_flight = true;
        Some(DueAnnounce {
            url: url.to_string(),
            position: (tier, index),
            event: self.event,
            tracker_id: self.tracker_id.clone(),
        })
    }

    /// When the next announce falls due (for the reactor's poll timeout).
    pub fn next_time(&self) -> Option<Instant> {
        if self.in_flight {
            None
        } else {
            self.next
        }
    }

    /// Records a reply to the announce from [`Announcer::due`].
    pub fn on_reply(&mut self, due: &DueAnnounce, reply: &AnnounceReply, now: Instant) {
        self.in_flight = false;
        self.tiers.answered(due.position.0, due.position.1);
        self.attempt = 0;
        self.succeeded = true;
        self.interval = Duration::from_secs(u64::from(reply.interval)).max(MIN_ACCEPTED_INTERVAL);
        self.min_interval = reply.min_interval.map_or(Duration::ZERO, |m| Duration::from_secs(u64::from(m)));
        if let Some(id) = &reply.tracker_id {
            self.tracker_id = Some(id.clone());
        }
        self.last_error = None;
        self.last_warning = reply.warning.clone();
        self.last_answered = Some(due.url.clone());
        match (reply.complete, reply.incomplete) {
            (Some(c), Some(i)) => self.swarm = Some((c, i)),
            // The counts are missing (aria2's tracker, some private ones): ask the scrape.
            _ if due.event != Some(Event::Stopped) => self.scrape_wanted = true,
            _ => {}
        }
        if due.event == self.event {
            self.event = None;
        }
        self.next = if due.event == Some(Event::Stopped) {
            None
        } else if self.event.is_some() {
            // An event queued while this announce was in flight (stopped, completed) goes now.
            Some(now)
        } else {
            Some(now + self.interval)
        };
    }

    /// Records a failed announce: the next tracker is tried, after a delay once every tracker
    /// of the list failed.
    pub fn on_error(&mut self, due: &DueAnnounce, error: &str, now: Instant) {
        self.in_flight = false;
        self.last_error = Some(error.to_string());
        if self.event.is_some() && self.event != due.event {
            // An event queued while this announce was in flight goes now, from the first tracker.
            self.attempt = 0;
            self.next = Some(now);
            return;
        }
        self.attempt += 1;
        let count = self.tiers.iter().count().max(1);
        let give_up_stopped = due.event == Some(Event::Stopped) && self.attempt >= count;
        self.next = if give_up_stopped {
            None
        } else if self.attempt.is_multiple_of(count) {
            Some(now + if self.succeeded { self.interval.min(RETRY_DELAY * 5) } else { RETRY_DELAY })
        } else {
            Some(now)
        };
    }

    /// Queues `completed` (sent at once, respecting min interval) when the download finishes.
    pub fn completed(&mut self, now: Instant) {
        // A `started` not yet sent carries `left=0` itself; one in flight is followed by `completed`.
        if self.event != Some(Event::Started) || self.in_flight {
            self.event = Some(Event::Completed);
        }
        if !self.in_flight {
            self.next = Some(now);
        }
    }

    /// Queues `stopped` at once (on shutdown or pause).
    pub fn stopped(&mut self, now: Instant) {
        self.event = Some(Event::Stopped);
        self.attempt = 0;
        self.next = Some(now);
        self.stopped = true;
    }

    /// Announces again after a pause: `started` at once when `stopped` was queued or sent
    /// (the tracker forgot us, or is about to), else a regular announce now (see [`Self::force`]).
    pub fn restart(&mut self, now: Instant) {
        if !std::mem::take(&mut self.stopped) {
            return self.force(now);
        }
        self.event = Some(Event::Started);
        self.attempt = 0;
        if !self.in_flight {
            self.next = Some(now);
        }
    }

    /// Asks for a regular announce now (honouring the tracker's min interval).
    pub fn force(&mut self, now: Instant) {
        if self.next.is_some() || self.event.is_none() {
            self.next = Some(now + self.min_interval.min(Duration::from_secs(300)));
        }
    }

    /// True when this schedule has something to tell its trackers while the torrent is paused:
    /// only a `stopped` not yet sent or still in flight (a paused torrent announces nothing else).
    pub fn owes_while_paused(&self) -> bool {
        !self.tiers.is_empty() && self.event == Some(Event::Stopped) && (self.next.is_some() || self.in_flight)
    }

    /// True when the last scheduled announce was `stopped` and it is done.
    pub fn finished_stopping(&self) -> bool {
        self.event == Some(Event::Stopped) && self.next.is_none() && !self.in_flight
            || (self.event.is_none() && self.next.is_none() && !self.in_flight)
    }

    /// The tracker message to show: the last error, else the last warning.
    pub fn message(&self) -> Option<String> {
        self.last_error.clone().or_else(|| self.last_warning.clone())
    }

    /// Asks for a scrape of the tracker that answered last (or the first one) when possible.
    pub fn force_scrape(&mut self) {
        self.scrape_wanted = true;
    }

    /// The scrape to perform now, if one was asked for and none is in flight (the `url` is the
    /// announce URL of the tracker to scrape).
    pub fn due_scrape(&mut self) -> Option<DueAnnounce> {
        if !self.scrape_wanted || self.scrape_in_flight {
            return None;
        }
        let (position, url) = match &self.last_answered {
            Some(url) => ((0, 0), url.clone()),
            None => self.tiers.iter().next().map(|(tier, index, url)| ((tier, index), url.to_string()))?,
        };
        self.scrape_wanted = false;
        self.scrape_in_flight = true;
        Some(DueAnnounce { url, position, event: None, tracker_id: None })
    }

    /// Records a scrape's counts (`None`: it failed).
    pub fn on_scrape(&mut self, stats: Option<ScrapeStats>) {
        self.scrape_in_flight = false;
        if let Some(s) = stats {
            self.swarm = Some((s.complete, s.incomplete));
            self.downloaded = Some(s.downloaded);
        }
    }

    /// Builds the request for `due` from the torrent's counters.
    pub fn request(&self, due: &DueAnnounce, base: AnnounceRequest) -> AnnounceRequest {
        AnnounceRequest { event: due.event, tracker_id: due.tracker_id.clone(), key: self.key, ..base }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn announcer(urls: &[&str], now: Instant) -> Announcer {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0);
        let list: Vec<Vec<String>> = vec![urls.iter().map(|s| s.to_string()).collect()];
        Announcer::new(TrackerTiers::new(None, &list, &mut rng), 7, now)
    }

    #[test]
    fn started_then_interval_then_completed() {
        let t0 = Instant::now();
        let mut a = announcer(&["http://a/announce"], t0);
        let d = a.due(t0).unwrap();
        assert_eq!(d.event, Some(Event::Started));
        assert!(a.due(t0).is_none(), "one in flight at a time");
        let reply = AnnounceReply { interval: 100, ..Default::default() };
        a.on_reply(&d, &reply, t0);
        assert!(a.due(t0 + Duration::from_secs(99)).is_none());
        let d = a.due(t0 + Duration::from_secs(100)).unwrap();
        assert_eq!(d.event, None);
        a.on_reply(&d, &reply, t0 + Duration::from_secs(100));
        a.completed(t0 + Duration::from_secs(101));
        assert_eq!(a.due(t0 + Duration::from_secs(101)).unwrap().event, Some(Event::Completed));
    }

    #[test]
    fn scrapes_when_asked_or_when_a_reply_lacks_the_counts() {
        let t0 = Instant::now();
        let mut a = announcer(&["http://a/announce", "http://b/announce"], t0);
        assert!(a.due_scrape().is_none(), "nothing asked");
        a.force_scrape();
        let first = a.due_scrape().expect("asked: the first tracker");
        assert!(a.due_scrape().is_none(), "one at a time");
        a.on_scrape(Some(ScrapeStats { complete: 3, incomplete: 4, downloaded: 5 }));
        assert_eq!((a.swarm, a.downloaded), (Some((3, 4)), Some(5)));
        // A reply with its counts needs no scrape; one without gets one, of the tracker that
        // answered.
        let d = a.due(t0).unwrap();
        let counted = AnnounceReply { interval: 100, complete: Some(1), incomplete: Some(0), ..Default::default() };
        a.on_reply(&d, &counted, t0);
        assert!(a.due_scrape().is_none());
        assert_eq!(a.swarm, Some((1, 0)));
        let d = a.due(t0 + Duration::from_secs(100)).unwrap();
        a.on_reply(&d, &AnnounceReply { interval: 100, ..Default::default() }, t0);
        let scrape = a.due_scrape().expect("counts missing: scrape");
        assert_eq!(scrape.url, d.url);
        a.on_scrape(None);
        assert_eq!((a.swarm, a.downloaded), (Some((1, 0)), Some(5)), "a failed scrape keeps the last counts");
        assert!(first.url.ends_with("/announce"));
    }

    #[test]
    fn failures_rotate_then_back_off() {
        let t0 = Instant::now();
        let mut a = announcer(&["http://a/announce", "http://b/announce"], t0);
        let d1 = a.due(t0).unwrap();
        a.on_error(&d1, "refused", t0);
        let d2 = a.due(t0).unwrap();
        assert_ne!(d1.url, d2.url);
        a.on_error(&d2, "refused", t0);
        assert!(a.due(t0).is_none());
        assert!(a.due(t0 + RETRY_DELAY).is_some());
        assert_eq!(a.last_error.as_deref(), Some("refused"));
    }

    #[test]
    fn a_paused_schedule_owes_only_its_stopped() {
        let t0 = Instant::now();
        let mut a = announcer(&["http://a/announce"], t0);
        assert!(!a.owes_while_paused(), "a started never sent is not owed while paused");
        let d = a.due(t0).unwrap();
        a.on_reply(&d, &AnnounceReply { interval: 1800, ..Default::default() }, t0);
        assert!(!a.owes_while_paused());
        a.stopped(t0);
        assert!(a.owes_while_paused());
        let d = a.due(t0).unwrap();
        assert!(a.owes_while_paused(), "in flight");
        a.on_reply(&d, &AnnounceReply { interval: 1800, ..Default::default() }, t0);
        assert!(!a.owes_while_paused());
    }

    #[test]
    fn a_restart_after_stopped_announces_started_again() {
        let t0 = Instant::now();
        let reply = AnnounceReply { interval: 1800, ..Default::default() };
        let mut a = announcer(&["http://a/announce"], t0);
        let started = a.due(t0).unwrap();
        a.on_reply(&started, &reply, t0);
        a.stopped(t0);
        let stopped = a.due(t0).unwrap();
        a.on_reply(&stopped, &reply, t0);
        assert!(a.due(t0 + Duration::from_secs(3600)).is_none(), "nothing after stopped");
        a.restart(t0);
        assert_eq!(a.due(t0).map(|d| d.event), Some(Some(Event::Started)));
        // A restart without a stop in between is a regular announce.
        let mut b = announcer(&["http://a/announce"], t0);
        let started = b.due(t0).unwrap();
        b.on_reply(&started, &reply, t0);
        b.restart(t0);
        assert_eq!(b.due(t0).map(|d| d.event), Some(None));
    }

    #[test]
    fn events_queued_while_an_announce_is_in_flight_follow_its_reply_at_once() {
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_secs(1);
        let reply = AnnounceReply { interval: 1800, ..Default::default() };
        let mut a = announcer(&["http://a/announce"], t0);
        let started = a.due(t0).unwrap();
        a.stopped(t0);
        assert!(a.due(t0).is_none(), "one announce at a time");
        a.on_reply(&started, &reply, t1);
        let d = a.due(t1).expect("the stopped goes out at once, not after the interval");
        assert_eq!(d.event, Some(Event::Stopped));

        let mut a = announcer(&["http://a/announce"], t0);
        let started = a.due(t0).unwrap();
        a.completed(t0);
        a.on_reply(&started, &reply, t1);
        assert_eq!(a.due(t1).map(|d| d.event), Some(Some(Event::Completed)));

        let mut a = announcer(&["http://a/announce"], t0);
        let started = a.due(t0).unwrap();
        a.stopped(t0);
        a.on_error(&started, "refused", t1);
        assert_eq!(a.due(t1).map(|d| d.event), Some(Some(Event::Stopped)), "not after the retry delay");

        let mut a = announcer(&["http://a/announce"], t0);
        a.completed(t0);
        assert_eq!(a.due(t0).map(|d| d.event), Some(Some(Event::Started)), "an unsent started carries left=0");
    }

    #[test]
    fn stopped_is_sent_once() {
        let t0 = Instant::now();
        let mut a = announcer(&["http://a/announce"], t0);
        let d = a.due(t0).unwrap();
        a.on_reply(&d, &AnnounceReply { interval: 1800, ..Default::default() }, t0);
        a.stopped(t0);
        let d = a.due(t0).unwrap();
        assert_eq!(d.event, Some(Event::Stopped));
        a.on_reply(&d, &AnnounceReply { interval: 1800, ..Default::default() }, t0);
        assert!(a.due(t0 + Duration::from_secs(10_000)).is_none());
        assert!(a.finished_stopping());
    }
}
