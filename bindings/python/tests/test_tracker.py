"""Tracker: HTTP announce and scrape, other paths, UDP connect, settings errors, state file."""

import os
import struct
import tempfile
import unittest

from bitgocho import InvalidArgument, ParseError, Tracker, Unsupported

HASH = bytes(range(20))


def announce(peer, left):
    q = "".join("%%%02X" % b for b in HASH)
    pid = "".join("%%%02X" % b for b in (b"-PY0001-" + peer.to_bytes(12, "big")))
    return f"/announce?info_hash={q}&peer_id={pid}&port={7000 + peer}&uploaded=0&downloaded=0&left={left}&compact=1".encode()


class TrackerTest(unittest.TestCase):
    def test_announce_scrape_and_other_paths(self):
        with Tracker(response_size=10) as t:
            code, ctype, body = t.handle_http(announce(1, 0))
            self.assertEqual((code, ctype), (200, "text/plain"))
            self.assertTrue(body.startswith(b"d8:completei1e10:incompletei0e"), body)
            t.handle_http(announce(2, 100), peer=("2001:db8::2", 9))
            code, _, body = t.handle_http(b"/scrape")
            self.assertIn(HASH + b"d8:completei1e10:downloadedi0e10:incompletei1ee", body)
            self.assertIsNone(t.handle_http(b"/"))
            self.assertEqual(t.handle_http(b"/announce?info_hash=x")[0], 400)
            stats = t.stats()
            self.assertEqual((stats["torrents"], stats["seeds"], stats["leechers"], stats["announces"]), (1, 1, 1, 2))
            self.assertIn("<", t.info_page())

    def test_udp_connect(self):
        with Tracker() as t:
            reply = t.handle_udp(struct.pack(">QII", 0x41727101980, 0, 1234), peer=("10.0.0.1", 5000))
            self.assertEqual(len(reply), 16)
            self.assertEqual(struct.unpack(">II", reply[:8]), (0, 1234))
            self.assertEqual(t.handle_udp(b"xy"), b"")

    def test_settings_errors_name_the_option(self):
        with self.assertRaises(InvalidArgument) as e:
            Tracker(no_such_option=1)
        self.assertIn("no_such_option", str(e.exception))
        with self.assertRaises(Unsupported):
            Tracker(nat_check=3)

    def test_state_round_trip_and_corrupt_file(self):
        with tempfile.TemporaryDirectory() as d, Tracker() as t, Tracker() as u:
            t.handle_http(announce(3, 5))
            path = os.path.join(d, "dstate")
            t.save_state(path)
            u.load_state(path)
            self.assertEqual(u.stats()["leechers"], 1)
            bad = os.path.join(d, "bad")
            with open(bad, "wb") as f:
                f.write(b"d5:peers")
            with self.assertRaises(ParseError):
                u.load_state(bad)
            self.assertTrue(any("corrupt" in w for w in u.warnings()))
            self.assertEqual(u.warnings(), [])


if __name__ == "__main__":
    unittest.main()
