"""libtorrent leecher: lt_leech.py <torrent> <save-dir> <host:port> [timeout]. Prints the time from adding
the torrent to torrent_finished_alert (every piece downloaded and hash-checked)."""
import sys
import time

from lt_common import add, flush_print, lt, session, wait_alert

torrent, save, peer = sys.argv[1], sys.argv[2], sys.argv[3]
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 120
host, port = peer.rsplit(":", 1)
ses = session()
start = time.monotonic()
h = add(ses, torrent, save)
h.connect_peer((host, int(port)))
wait_alert(ses, (lt.torrent_finished_alert,), timeout)
secs = time.monotonic() - start
size = h.torrent_file().total_size()
flush_print("leech seconds=%.3f bytes=%d rate_mib_s=%.1f" % (secs, size, size / secs / 1048576))
