"""libtorrent memory and CPU with many idle seeding torrents: lt_idle.py <dir-of-torrents> <data-dir> [hold-s].
Prints the RSS of an empty session and after every torrent has been checked and is seeding (no peers), and the
CPU seconds the process used while holding them idle for hold-s seconds (default 0)."""
import os
import resource
import sys
import time

from lt_common import flush_print, lt, rss_kib, session

tdir, data = sys.argv[1], sys.argv[2]
hold = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
files = sorted(f for f in os.listdir(tdir) if f.endswith(".torrent"))
infos = [lt.torrent_info(os.path.join(tdir, f)) for f in files]
# Active limits raised so every torrent is checked and seeds at once (with the defaults the checks
# queue one per second and only 5 torrents may seed).
ses = session(active_checking=len(infos), active_limit=len(infos) + 10, active_seeds=len(infos) + 10)
time.sleep(0.2)
base = rss_kib()
start = time.monotonic()
handles = []
for ti in infos:
    p = lt.add_torrent_params()
    p.ti = ti
    p.save_path = data
    handles.append(ses.add_torrent(p))
while True:
    seeding = sum(1 for h in handles if h.status().is_seeding)
    if seeding == len(handles):
        break
    if time.monotonic() - start > 120:
        sys.exit("only %d of %d torrents seeding after 120 s" % (seeding, len(handles)))
    time.sleep(0.1)
secs = time.monotonic() - start
time.sleep(0.5)
after = rss_kib()


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


cpu_before = cpu()
time.sleep(hold)
hold_cpu = cpu() - cpu_before
flush_print("idle torrents=%d seeding=%d add_check_seconds=%.3f base_rss_kib=%d rss_kib=%d delta_kib=%d "
            "hold_seconds=%.1f hold_cpu_seconds=%.3f"
            % (len(handles), seeding, secs, base, after, after - base, hold, hold_cpu))
