"""libtorrent full check: lt_check.py <torrent> <data-dir> [hashing-threads]. Adds the torrent with no
resume data (so every piece is hashed) and prints the time to torrent_checked_alert."""
import sys
import time

from lt_common import add, flush_print, lt, session, wait_alert

torrent, data = sys.argv[1], sys.argv[2]
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
ses = session(hashing_threads=threads)
start = time.monotonic()
h = add(ses, torrent, data)
wait_alert(ses, (lt.torrent_checked_alert,), 120)
secs = time.monotonic() - start
st = h.status()
flush_print("recheck seconds=%.3f pieces=%d/%d" % (secs, st.num_pieces, h.torrent_file().num_pieces()))
if st.num_pieces != h.torrent_file().num_pieces():
    sys.exit("libtorrent check found missing pieces")
