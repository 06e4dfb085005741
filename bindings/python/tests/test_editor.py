"""MetainfoEditor: new torrents read back by Metainfo and by python3-libtorrent, edits, errors."""

import os
import tempfile
import unittest

from bitgocho import Cancelled, InvalidArgument, Metainfo, MetainfoEditor, Unsupported


class EditorTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.dir.name, "payload")
        os.makedirs(os.path.join(self.data, "sub"))
        with open(os.path.join(self.data, "a.bin"), "wb") as f:
            f.write(bytes(i * 7 % 251 for i in range(200_000)))
        with open(os.path.join(self.data, "sub", "b.txt"), "wb") as f:
            f.write(b"python binding\n")

    def tearDown(self):
        self.dir.cleanup()

    def test_new_hybrid_torrent(self):
        calls = []
        with MetainfoEditor.new(self.data) as ed:
            ed.version(3).piece_size_pow2(15).announce("http://t.example/announce").add_tracker(0, "http://t.example/announce")
            ed.add_url_seed("http://web.example/").comment("from python").private(True).created_by("py").creation_date(1)
            data = ed.build(lambda done, total: calls.append((done, total)))
        self.assertTrue(calls and calls[-1][0] == calls[-1][1] > 200_000)
        with Metainfo.parse(data) as mi:
            self.assertEqual(mi.name, "payload")
            self.assertEqual(mi.version, 3)
            self.assertEqual(mi.piece_length, 32768)
            self.assertEqual((mi.comment, mi.created_by, mi.creation_date, mi.private), ("from python", "py", 1, True))
            self.assertEqual(mi.announce_list, [["http://t.example/announce"]])
            try:
                import libtorrent as lt
            except ImportError:
                self.fail("python3-libtorrent is not installed: apt-get install python3-libtorrent")
            ti = lt.torrent_info(lt.bdecode(data))
            self.assertEqual(str(ti.info_hashes().v1), mi.info_hash_v1.hex())
            self.assertEqual(ti.info_hashes().v2.to_bytes(), mi.info_hash_v2)

    def test_edit_existing_and_write(self):
        path = os.path.join(self.dir.name, "t.torrent")
        MetainfoEditor.new(self.data).announce("http://old/").write(path)
        with MetainfoEditor.from_file(path) as ed:
            with self.assertRaises(Unsupported):
                ed.version(2)
            with self.assertRaises(InvalidArgument):
                ed.name("../x")
            ed.announce("http://new/").name("renamed").add_http_seed("http://seed/")
            ed.write(path)
        with Metainfo.from_file(path) as mi:
            self.assertEqual((mi.announce, mi.name, mi.http_seeds), ("http://new/", "renamed", ["http://seed/"]))

    def test_from_metainfo_and_copy_trackers(self):
        source = Metainfo.parse(MetainfoEditor.new(self.data).announce("http://a/").add_tracker(0, "http://b/").build())
        target = Metainfo.parse(MetainfoEditor.new(self.data).announce("http://old/").comment("keep").build())
        with MetainfoEditor.from_metainfo(target) as ed:
            data = ed.copy_trackers(source).build()
        with Metainfo.parse(data) as mi:
            self.assertEqual((mi.announce, mi.announce_list, mi.comment), ("http://a/", [["http://b/"]], "keep"))
            self.assertEqual(mi.info_hash_v1, target.info_hash_v1)
        source.close()
        target.close()

    def test_cancel_from_progress(self):
        big = os.path.join(self.dir.name, "huge.bin")
        with open(big, "wb") as f:
            f.truncate(1 << 30)  # holes: hashing takes far longer than the first progress call
        ed = MetainfoEditor.new(big).threads(1).piece_size_pow2(20)
        calls = []
        with self.assertRaises(Cancelled):
            ed.build(lambda done, total: (calls.append((done, total)), ed.cancel()))
        self.assertTrue(calls and (calls[-1][1] == 0 or calls[-1][0] < calls[-1][1]))
        ed.close()

if __name__ == "__main__":
    unittest.main()
