"""libtorrent web seed leecher: lt_webseed_leech.py <torrent> <save-dir> [timeout]. No peer: the
torrent's url-list is the only source. Prints the time from adding the torrent to
torrent_finished_alert (every piece downloaded and hash-checked)."""
import sys
import time

from lt_common import add, flush_print, lt, session, wait_alert

torrent, save = sys.argv[1], sys.argv[2]
timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 120
ses = session()
start = time.monotonic()
h = add(ses, torrent, save)
wait_alert(ses, (lt.torrent_finished_alert,), timeout)
secs = time.monotonic() - start
size = h.torrent_file().total_size()
flush_print("leech seconds=%.3f bytes=%d rate_mib_s=%.1f" % (secs, size, size / secs / 1048576))
