"""Metainfo over the libtorrent corpus, compared with what python3-libtorrent reads."""

import hashlib
import os
import unittest

import bitgocho
from bitgocho import Metainfo, NotFound, ParseError

CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "data", "libtorrent-corpus")


def corpus(name):
    return os.path.join(CORPUS, name)


class MetainfoTest(unittest.TestCase):
    def test_version(self):
        major, minor, patch = (int(x) for x in bitgocho.version().split("."))
        self.assertEqual(bitgocho.version_number(), (major << 16) | (minor << 8) | patch)

    def test_sample_fields(self):
        with Metainfo.from_file(corpus("sample.torrent")) as mi:
            self.assertEqual(mi.name, "sample")
            self.assertEqual(mi.info_hash_v1.hex(), "58d8d15a4eb3bd9afabc9cee2564f78192777edb")
            self.assertEqual(mi.info_hash_v1, hashlib.sha1(mi.info_raw).digest())
            self.assertIsNone(mi.info_hash_v2)
            self.assertEqual(mi.version, bitgocho.META_V1)
            self.assertEqual((mi.piece_length, mi.piece_count, mi.total_size), (16384, 2, 16404))
            self.assertTrue(mi.is_multi_file)
            self.assertEqual([f[0] for f in mi.files], ["sample/text_file2.txt", "sample/.____padding_file/0", "sample/text_file.txt"])
            self.assertTrue(mi.files[1][3] & bitgocho.FILE_PAD)
            self.assertEqual(mi.announce, "udp://tracker.opentracker.com:80/announce")
            self.assertEqual(len(mi.announce_list), 2)
            self.assertEqual((mi.comment, mi.created_by, mi.creation_date), ("sample comment", "libtorrent", 1418787579))
            self.assertEqual(len(mi.piece_hash(0)), 20)
            with self.assertRaises(NotFound):
                mi.piece_hash(2)
            with open(corpus("sample.torrent"), "rb") as f:
                self.assertEqual(mi.raw, f.read())

    def test_v2_and_nodes(self):
        mi = Metainfo.from_file(corpus("v2_multiple_files.torrent"))
        self.assertEqual(mi.version, bitgocho.META_V2)
        self.assertIsNone(mi.info_hash_v1)
        self.assertEqual(mi.info_hash_v2, hashlib.sha256(mi.info_raw).digest())
        self.assertEqual(len(mi.file_pieces_root(0)), 32)
        mi.close()
        mi.close()
        with Metainfo.from_file(corpus("dht_nodes.torrent")) as nodes:
            self.assertTrue(nodes.nodes and all(isinstance(p, int) for _, p in nodes.nodes))

    def test_piece_layers_symlinks_and_piece_sizes(self):
        with Metainfo.from_file(corpus("v2_multipiece_file.torrent")) as mi:
            self.assertTrue(mi.has_piece_layers)
            self.assertEqual(len(mi.file_piece_layer(0)), 32 * mi.piece_count)
            self.assertEqual(sum(mi.piece_size(i) for i in range(mi.piece_count)), mi.total_size)
            with self.assertRaises(NotFound):
                mi.piece_size(mi.piece_count)
        with Metainfo.from_file(corpus("symlink1.torrent")) as mi:
            self.assertEqual(mi.file_symlink_target(1), "temp/a/b/bar")
            self.assertTrue(mi.files[1][3] & bitgocho.FILE_SYMLINK)
            self.assertIsNone(mi.file_symlink_target(0))
            self.assertIsNone(mi.file_mtime(0))
            self.assertFalse(mi.has_piece_layers)

    def test_bad_input(self):
        with self.assertRaises(ParseError) as ctx:
            Metainfo.parse(b"d8:announce3:urle")
        self.assertIn("info", str(ctx.exception))
        with self.assertRaises(bitgocho.IOError_):
            Metainfo.from_file("/nonexistent.torrent")

    def test_agrees_with_libtorrent(self):
        try:
            import libtorrent as lt
        except ImportError:
            self.fail("python3-libtorrent is not installed: apt-get install python3-libtorrent")
        for name in ("sample.torrent", "base.torrent", "v2_hybrid.torrent", "url_seed_multi.torrent", "collection.torrent"):
            ti = lt.torrent_info(corpus(name))
            with Metainfo.from_file(corpus(name)) as mi:
                self.assertEqual(mi.name, ti.name(), name)
                self.assertEqual(mi.piece_count, ti.num_pieces(), name)
                self.assertEqual(mi.total_size, ti.total_size(), name)
                self.assertEqual(len(mi.files), ti.num_files(), name)
                if mi.info_hash_v1:
                    self.assertEqual(mi.info_hash_v1.hex(), str(ti.info_hashes().v1), name)


if __name__ == "__main__":
    unittest.main()
