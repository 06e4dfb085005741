"""Session, Torrent and Event: a seeder session and a leecher session in one process, events
through selectors on fileno(), status, removal (TORRENT_GONE) and setting errors."""

import os
import selectors
import tempfile
import time
import unittest

from bitgocho import Error, InvalidArgument, Metainfo, MetainfoEditor
from bitgocho.errors import E_TORRENT_GONE
from bitgocho.session import (EVENT_ADDED, EVENT_CHECKED, EVENT_FINISHED, EVENT_METADATA_RECEIVED, EVENT_REMOVED,
                              EVENT_SCRAPE_FAILED, EVENT_STORAGE_MOVED, PEER_CHOKED, PEER_OUTGOING,
                              STATE_DOWNLOADING, STATE_METADATA, STATE_QUEUED, STATE_SEEDING, Session)


def wait_for(session, kind, seconds=20):
    """Events from `session` until one of `kind`, waiting on fileno() with selectors."""
    seen = []
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as sel:
        sel.register(session.fileno(), selectors.EVENT_READ)
        while time.monotonic() < deadline:
            sel.select(timeout=0.1)
            for event in session.events():
                seen.append(event.kind)
                if event.kind == kind:
                    return event, seen
    raise AssertionError(f"event {kind} did not arrive; saw {seen}")


def wait_state(torrent, state, seconds=5):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        st = torrent.status()
        if st["state"] == state:
            return st
        time.sleep(0.02)
    raise AssertionError(f"state {state} not reached: {torrent.status()}")


class SessionTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.seed_dir = os.path.join(self.dir.name, "seed")
        self.leech_dir = os.path.join(self.dir.name, "leech")
        os.makedirs(os.path.join(self.seed_dir, "payload"))
        os.makedirs(self.leech_dir)
        self.files = {"a.bin": bytes((i * 13 + 5) % 256 for i in range(300_001)), "b.txt": b"python session\n"}
        for name, data in self.files.items():
            with open(os.path.join(self.seed_dir, "payload", name), "wb") as f:
                f.write(data)
        with MetainfoEditor.new(os.path.join(self.seed_dir, "payload")) as ed:
            ed.piece_size_pow2(15)
            self.torrent_bytes = ed.build()

    def tearDown(self):
        self.dir.cleanup()

    def test_seed_and_leech_through_the_event_fd(self):
        with Metainfo.parse(self.torrent_bytes) as mi, \
                Session(listen_port=0, bind="127.0.0.1", hash_threads=1) as seeder, \
                Session(listen_port=0, bind="127.0.0.1", hash_threads=1) as leecher:
            seed = seeder.add_torrent(mi, self.seed_dir)
            event, seen = wait_for(seeder, EVENT_FINISHED)
            self.assertEqual(event.torrent_id, seed.id)
            self.assertIn(EVENT_ADDED, seen)
            self.assertIn(EVENT_CHECKED, seen)
            peer = f"127.0.0.1:{seeder.listen_port}"
            leech = leecher.add_torrent(mi, self.leech_dir, peers=[peer])
            leech.set_sequential_download(True)
            leech.set_piece_priority(0, 3)
            wait_for(leecher, EVENT_FINISHED)
            st = wait_state(leech, STATE_SEEDING)
            self.assertEqual(st["have_bytes"], sum(len(d) for d in self.files.values()))
            self.assertEqual(st["total_done"], st["have_bytes"])
            totals = leecher.stats()
            self.assertEqual((totals["torrents"], totals["total_downloaded"]), (1, st["downloaded"]))
            self.assertEqual((st["tracker_seeds"], st["tracker_leechers"], st["tracker_downloaded"]), (-1, -1, -1))
            leech.scrape()
            event, _ = wait_for(leecher, EVENT_SCRAPE_FAILED)
            self.assertIn("no tracker", event.message)
            with self.assertRaises(InvalidArgument):
                leech.add_tracker("gopher://x/announce")
            leech.add_tracker("udp://127.0.0.1:9/announce", 1)
            self.assertEqual(leech.name(), "payload")
            self.assertEqual(leech.info_hash(), seed.info_hash())
            self.assertEqual(leech.file_progress(), [len(d) for d in self.files.values()])
            self.assertEqual(leech.pieces(), seed.pieces())
            moved = os.path.join(self.leech_dir, "moved")
            leech.move_storage(moved)
            event, _ = wait_for(leecher, EVENT_STORAGE_MOVED)
            self.assertEqual(event.message, moved)
            wait_state(leech, STATE_SEEDING)
            self.assertEqual(leech.save_path(), moved)
            self.assertFalse(os.path.exists(os.path.join(self.leech_dir, "payload")))
            for name, data in self.files.items():
                with open(os.path.join(moved, "payload", name), "rb") as f:
                    self.assertEqual(f.read(), data)
            found = leecher.find_torrent(leech.info_hash())
            self.assertEqual(found.id, leech.id)
            self.assertIsNone(leecher.find_torrent(b"\0" * 20))
            leecher.remove_torrent(leech)
            wait_for(leecher, EVENT_REMOVED)
            with self.assertRaises(Error) as ctx:
                leech.status()
            self.assertEqual(ctx.exception.status, E_TORRENT_GONE)

    def test_magnet_link(self):
        with Metainfo.parse(self.torrent_bytes) as mi, \
                Session(listen_port=0, bind="127.0.0.1", hash_threads=1) as seeder, \
                Session(listen_port=0, bind="127.0.0.1", hash_threads=1) as leecher:
            seed = seeder.add_torrent(mi, self.seed_dir)
            wait_for(seeder, EVENT_FINISHED)
            link = "magnet:?xt=urn:btih:" + seed.info_hash().hex() + "&dn=payload"
            leech = leecher.add_torrent(link, self.leech_dir)
            self.assertEqual(wait_state(leech, STATE_METADATA)["peers"], 0)
            self.assertIsNone(leech.metainfo(), "no metadata yet")
            leech.connect_peer(f"127.0.0.1:{seeder.listen_port}")
            wait_for(leecher, EVENT_METADATA_RECEIVED)
            with leech.metainfo() as fetched:
                self.assertEqual(fetched.info_raw, mi.info_raw)
                with Metainfo.parse(fetched.raw) as saved:
                    self.assertEqual(saved.info_hash_v1, mi.info_hash_v1)
            wait_for(leecher, EVENT_FINISHED)
            wait_state(leech, STATE_SEEDING)
            self.assertEqual(leech.file_progress(), [len(d) for d in self.files.values()])
            for name, data in self.files.items():
                with open(os.path.join(self.leech_dir, "payload", name), "rb") as f:
                    self.assertEqual(f.read(), data)
            with self.assertRaises(Error):
                leecher.add_torrent("magnet:?xt=urn:btih:nothex", self.leech_dir)

    def test_peer_lists(self):
        # A leecher that wants neither file stays connected without finishing.
        with Metainfo.parse(self.torrent_bytes) as mi, \
                Session(listen_port=0, bind="127.0.0.1", hash_threads=1) as seeder, \
                Session(listen_port=0, bind="127.0.0.1", hash_threads=1) as leecher:
            seed = seeder.add_torrent(mi, self.seed_dir)
            wait_for(seeder, EVENT_FINISHED)
            peer = f"127.0.0.1:{seeder.listen_port}"
            leech = leecher.add_torrent(mi, self.leech_dir, peers=[peer], priorities=[0, 0])
            deadline = time.monotonic() + 10
            while (len(seed.peers()), len(leech.peers())) != (1, 1):
                self.assertLess(time.monotonic(), deadline, "the peers did not list each other")
                time.sleep(0.05)
            (at_leech,), (at_seed,) = leech.peers(), seed.peers()
            self.assertEqual(at_leech["address"], peer)
            self.assertTrue(at_seed["address"].startswith("127.0.0.1:"))
            self.assertTrue(at_leech["flags"] & PEER_OUTGOING)
            self.assertFalse(at_seed["flags"] & PEER_OUTGOING)
            self.assertTrue(at_seed["flags"] & PEER_CHOKED)
            self.assertEqual((at_leech["progress"], at_seed["progress"]), (1.0, 0.0))

    def test_ip_filter(self):
        blocklist = os.path.join(self.dir.name, "blocklist.p2p")
        with open(blocklist, "w") as f:
            f.write("loopback:127.0.0.0-127.255.255.255\n")
        with Metainfo.parse(self.torrent_bytes) as mi, \
                Session(listen_port=0, bind="127.0.0.1", hash_threads=1, ip_filter_file=blocklist) as seeder, \
                Session(listen_port=0, bind="127.0.0.1", hash_threads=1) as leecher:
            seeder.add_torrent(mi, self.seed_dir)
            wait_for(seeder, EVENT_FINISHED)
            peer = f"127.0.0.1:{seeder.listen_port}"
            leech = leecher.add_torrent(mi, self.leech_dir, peers=[peer])
            time.sleep(1)
            self.assertEqual((leech.status()["peers"], leech.status()["have_bytes"]), (0, 0), "refused")
            seeder.set_ip_filter_file("")
            leech.connect_peer(peer)
            wait_for(leecher, EVENT_FINISHED)

    def test_download_queue(self):
        with Metainfo.parse(self.torrent_bytes) as mi, \
                Session(listen_port=0, bind="127.0.0.1", hash_threads=1, max_active_downloads=1) as leecher:
            first = leecher.add_torrent(mi, self.leech_dir, peers=["127.0.0.1:9"])
            wait_state(first, STATE_DOWNLOADING)
            with MetainfoEditor.new(os.path.join(self.seed_dir, "payload", "a.bin")) as ed:
                other = Metainfo.parse(ed.build())
            second = leecher.add_torrent(other, self.leech_dir)
            wait_state(second, STATE_QUEUED)
            leecher.remove_torrent(first)
            wait_state(second, STATE_DOWNLOADING)
            other.close()

    def test_unknown_settings_are_named(self):
        with self.assertRaises(InvalidArgument) as ctx:
            Session(max_conections=3)
        self.assertIn("max_conections", str(ctx.exception))
        with Session(listen_port=0, bind="127.0.0.1", dht=False, dht_bootstrap="127.0.0.1:9") as quiet:
            self.assertEqual(quiet.dht_nodes, 0)
        missing = os.path.join(self.dir.name, "missing-ca.pem")
        with self.assertRaises(InvalidArgument) as ctx:
            Session(listen_port=0, tls_ca_file=missing)
        self.assertIn(missing, str(ctx.exception))
