#!/usr/bin/env bash
# Memory of one session seeding N small torrents (default 1,000) with no peers: ours (bitgocho-bench idle)
# against libtorrent's Python binding, each as RSS after every torrent is checked and seeding minus the
# RSS of the same empty session. Torrents: one file each, 16-64 KiB, 16 KiB pieces, made once under
# target/bench-data/idle-N. Then CPU: seconds of CPU (user + system) each process uses while holding the
# idle torrents for HOLD seconds (default 30; 0 skips it). Usage: benches/idle_torrents.sh [N] [HOLD]
source "$(dirname "$0")/bench_lib.sh"
N="${1:-1000}"
HOLD="${2:-30}"
need_tools
build_ours
DIR="$DATA/idle-$N"
if [ ! -f "$DIR/.done" ]; then
  echo "making $N small torrents in $DIR" >&2
  rm -rf "$DIR"; mkdir -p "$DIR/data" "$DIR/torrents"
  "$PY" - "$DIR" "$N" <<'PY'
import os, random, sys
sys.path.insert(0, os.path.join(os.getcwd(), "benches"))
from lt_common import lt
d, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(4)
for i in range(n):
    name = "f%05d.bin" % i
    path = os.path.join(d, "data", name)
    with open(path, "wb") as f:
        f.write(rng.randbytes(rng.randrange(16, 65) * 1024))
    fs = lt.file_storage()
    lt.add_files(fs, path)
    t = lt.create_torrent(fs, 16384, flags=lt.create_torrent.v1_only)
    lt.set_piece_hashes(t, os.path.join(d, "data"))
    with open(os.path.join(d, "torrents", name + ".torrent"), "wb") as f:
        f.write(lt.bencode(t.generate()))
PY
  touch "$DIR/.done"
fi
LOG="$(mktemp -d)"
trap 'rm -rf "$LOG"' EXIT
LIMIT=$((150 + ${HOLD%.*}))
timeout "$LIMIT" "$PY" "$LTDIR/lt_idle.py" "$DIR/torrents" "$DIR/data" "$HOLD" > "$LOG/lt"
timeout "$LIMIT" "$OURS" idle "$DIR/torrents" "$DIR/data" --timeout 140 --hold "$HOLD" > "$LOG/ours"
echo "libtorrent: $(cat "$LOG/lt")"
echo "bitgocho:   $(cat "$LOG/ours")"
l=$(field delta_kib "$(cat "$LOG/lt")"); o=$(field delta_kib "$(cat "$LOG/ours")")
echo "RSS over an empty session with $N idle seeding torrents: libtorrent $((l / 1024)) MiB ($l KiB)," \
     "ours $((o / 1024)) MiB ($o KiB); ratio ours/libtorrent $(ratio "$o" "$l")"
lc=$(field hold_cpu_seconds "$(cat "$LOG/lt")"); oc=$(field hold_cpu_seconds "$(cat "$LOG/ours")")
if [ "$HOLD" != 0 ]; then
  echo "CPU holding $N idle seeding torrents for $HOLD s: libtorrent ${lc} s, ours ${oc} s;" \
       "ratio ours/libtorrent $(awk -v a="$oc" -v b="$lc" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
fi
