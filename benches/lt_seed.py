"""libtorrent seeder: lt_seed.py <torrent> <data-dir> [seconds]. Prints `seed port=N` once seeding,
then serves until stdin closes or the time limit passes. LT_SEED_SETTINGS (a JSON object of
settings_pack names) changes the seeder's settings for diagnosis, e.g.
'{"send_buffer_low_watermark": 512000}' removes its one-block-at-a-time start with each new peer."""
import json
import os
import sys
import threading
import time

from lt_common import add, flush_print, lt, session, wait_alert

torrent, data = sys.argv[1], sys.argv[2]
limit = float(sys.argv[3]) if len(sys.argv) > 3 else 900
ses = session(**json.loads(os.environ.get("LT_SEED_SETTINGS", "{}")))
h = add(ses, torrent, data)
start = time.monotonic()
while not h.status().is_seeding:
    if time.monotonic() - start > 120:
        sys.exit("libtorrent seeder: data incomplete after 120 s (state %s)" % h.status().state)
    time.sleep(0.05)
flush_print("seed port=%d check_seconds=%.3f" % (ses.listen_port(), time.monotonic() - start))
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
done.wait(limit)
flush_print("seed uploaded=%d" % h.status().all_time_upload)
