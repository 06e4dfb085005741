"""libtorrent leecher: lt_leech.py <torrent> <save-dir> <host:port> [timeout]. Prints the time from adding
the torrent to torrent_finished_alert (every piece downloaded and hash-checked), and, like
`bitgocho-bench leech`, when a tenth of the pieces were in and the rate over the other nine tenths."""
import sys
import time

from lt_common import add, flush_print, lt, session

torrent, save, peer = sys.argv[1], sys.argv[2], sys.argv[3]
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 120
host, port = peer.rsplit(":", 1)
cat = lt.alert.category_t
ses = session(alert_mask=cat.status_notification | cat.error_notification | cat.piece_progress_notification)
start = time.monotonic()
h = add(ses, torrent, save)
h.connect_peer((host, int(port)))
tenth = max(1, -(-h.torrent_file().num_pieces() // 10))
pieces, at_tenth, secs = 0, None, None
while secs is None and time.monotonic() - start < timeout:
    ses.wait_for_alert(100)
    for a in ses.pop_alerts():
        if isinstance(a, lt.piece_finished_alert):
            pieces += 1
            if pieces == tenth:
                at_tenth = time.monotonic() - start
        elif isinstance(a, lt.torrent_finished_alert):
            secs = time.monotonic() - start
        elif isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
            sys.exit("libtorrent error: " + a.message())
if secs is None:
    sys.exit("timed out after %ss waiting for torrent_finished_alert" % timeout)
size = h.torrent_file().total_size()
first = at_tenth if at_tenth is not None else secs
rest = size * 0.9 / max(secs - first, 1e-6) / 1048576
flush_print("leech seconds=%.3f bytes=%d rate_mib_s=%.1f first_tenth_s=%.3f rest_rate_mib_s=%.0f"
            % (secs, size, size / secs / 1048576, first, rest))
