//! https trackers against real TLS: our bttrack behind socat (OpenSSL) with the test
//! certificate of `tests/data/tls`. Two of our sessions find each other through it; a session
//! that does not trust the certificate reports why; a bad `tls_ca_file` stops the session
//! before it starts.

#[allow(dead_code)]
mod common;

use bitgocho::session::event::SessionEvent;
use bitgocho::session::{AddParams, Session, SessionError, SessionSettings};
use common::bttrack::Bttrack;
use common::tls_front::{tls_data, TlsFront};
use common::{assert_same_files, data_file, events_of, loopback_settings, mktorrent, wait_complete, wait_for};
use std::time::Duration;

const TRANSFER: Duration = Duration::from_secs(60);

/// Loopback session settings trusting the certificates in `tests/data/tls/<ca>`.
fn trusting(ca: &str) -> SessionSettings {
    SessionSettings { tls_ca_file: Some(tls_data(ca)), ..loopback_settings() }
}

#[test]
fn our_sessions_meet_through_an_https_tracker() {
    let dir = tempfile::tempdir().unwrap();
    let tracker = Bttrack::start(&dir.path().join("dstate"));
    let front = TlsFront::start(tracker.addr());
    let announce = front.url("/announce");
    data_file(&dir.path().join("seed/file.bin"), 3_000_000, 11);
    let (_, meta) = mktorrent(&dir.path().join("seed/file.bin"), &dir.path().join("t.torrent"), 16, Some(&announce));
    let seeder = Session::new(trusting("ca.pem")).unwrap();
    let seed = seeder.add_torrent(AddParams::new(meta.clone(), dir.path().join("seed"))).unwrap();
    wait_complete(&seed, TRANSFER);
    let hash = meta.info_hash_v1().unwrap();
    wait_for("the seeder's https announce", TRANSFER, || tracker.registered(&hash) == 1);
    let leecher = Session::new(trusting("ca.pem")).unwrap();
    let leech = leecher.add_torrent(AddParams::new(meta.clone(), dir.path().join("out"))).unwrap();
    wait_complete(&leech, TRANSFER);
    assert_same_files(&meta, &dir.path().join("seed"), &dir.path().join("out"));
    assert_eq!(tracker.registered(&hash), 2);
    let replies = events_of(&leecher, leech.id());
    assert!(
        replies
            .iter()
            .any(|e| matches!(e, SessionEvent::TrackerReply { url, peers, .. } if *url == announce && *peers >= 1)),
        "no reply from {announce} with the seeder in it: {replies:?}"
    );
}

/// The first tracker error of torrent `id` in `session`.
fn tracker_error(session: &Session, id: u32) -> String {
    let mut found = None;
    wait_for("a tracker error", TRANSFER, || {
        found = events_of(session, id).into_iter().find_map(|e| match e {
            SessionEvent::TrackerError { message, .. } => Some(message),
            _ => None,
        });
        found.is_some()
    });
    found.unwrap()
}

#[test]
fn an_untrusted_certificate_is_a_tracker_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let tracker = Bttrack::start(&dir.path().join("dstate"));
    let front = TlsFront::start(tracker.addr());
    data_file(&dir.path().join("seed/file.bin"), 100_000, 12);
    let (_, meta) =
        mktorrent(&dir.path().join("seed/file.bin"), &dir.path().join("t.torrent"), 15, Some(&front.url("/announce")));
    // The system's certificates (the test CA is not among them), then another CA.
    for settings in [loopback_settings(), trusting("other-ca.pem")] {
        let session = Session::new(settings).unwrap();
        let t = session.add_torrent(AddParams::new(meta.clone(), dir.path().join("seed"))).unwrap();
        let message = tracker_error(&session, t.id());
        assert!(message.contains("invalid peer certificate") && message.contains("UnknownIssuer"), "{message}");
    }
    assert_eq!(tracker.registered(&meta.info_hash_v1().unwrap()), 0, "an announce got through");
}

#[test]
fn a_bad_ca_file_stops_the_session_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let err = Session::new(SessionSettings { tls_ca_file: Some(missing.clone()), ..loopback_settings() }).err();
    let Some(SessionError::Settings(message)) = err else { panic!("expected a settings error, got {err:?}") };
    assert!(message.contains(&missing.display().to_string()), "{message}");
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "no certificate here\n").unwrap();
    let err = Session::new(SessionSettings { tls_ca_file: Some(not_pem), ..loopback_settings() }).err();
    assert!(matches!(&err, Some(SessionError::Settings(m)) if m.contains("no certificate in")), "{err:?}");
}
