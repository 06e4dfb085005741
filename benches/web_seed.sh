#!/usr/bin/env bash
# Web seed (BEP 19 url-list) download benchmark over loopback: tests/support/web_seed_server.py (a
# Range-capable Python static server) serves a 256 MiB single file; libtorrent (lt_webseed_leech.py)
# and our engine (target/release/bitgocho-bench leech, no peer) download it from that web seed
# alone, in alternation, ROUNDS each, the target deleted and `sync`ed between runs. Prints
# median/min per side and the ratio ours/libtorrent. Both clients share the same server, so the
# ratio compares how well each keeps it busy (requests, connections, hashing).
# Usage: benches/web_seed.sh [rounds] [piece-exp (default 20: 1 MiB pieces)]
source "$(dirname "$0")/bench_lib.sh"
ROUNDS="${1:-3}"
PIECE_EXP="${2:-20}"
need_tools
build_ours
WS="$DATA/webseed"
mkdir -p "$WS/root"
if [ ! -s "$WS/root/web.bin" ] || [ "$(stat -c %s "$WS/root/web.bin")" != 268435456 ]; then
  head -c 268435456 /dev/urandom > "$WS/root/web.bin.tmp" && mv "$WS/root/web.bin.tmp" "$WS/root/web.bin"
fi
cat "$WS/root/web.bin" > /dev/null
DL="$WS/dl"
LOG="$(mktemp -d)"
# The server's request log goes to a file (one line per request).
"$PY" "$ROOT/tests/support/web_seed_server.py" --life 1800 files "$WS/root" > "$LOG/server.out" &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null; rm -rf "$LOG" "$DL"' EXIT
for _ in $(seq 1 100); do grep -q '^PORT ' "$LOG/server.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/^PORT //p' "$LOG/server.out")
[ -n "$PORT" ] || { echo "web seed server did not start" >&2; exit 1; }
TORRENT="$WS/web.torrent"
rm -f "$TORRENT"
mktorrent -l "$PIECE_EXP" -w "http://127.0.0.1:$PORT/web.bin" -o "$TORRENT" "$WS/root/web.bin" > /dev/null

verify() { same_bytes "$DL/web.bin" "$WS/root/web.bin" "$1"; }

echo "== web seed -> libtorrent vs ours: 256 MiB, 2^$PIECE_EXP-byte pieces, $ROUNDS rounds, alternating"
lt_times=(); our_times=()
for r in $(seq 1 "$ROUNDS"); do
  fresh_target
  timed "$LOG/lt.$r" timeout 300 "$PY" "$LTDIR/lt_webseed_leech.py" "$TORRENT" "$DL" 290
  l=$(field seconds "$(cat "$LOG/lt.$r")"); lt_times+=("$l"); verify libtorrent
  fresh_target
  timed "$LOG/ours.$r" timeout 300 "$OURS" leech "$TORRENT" "$DL" --timeout 290
  o=$(field seconds "$(cat "$LOG/ours.$r")"); our_times+=("$o"); verify bitgocho
  echo "round $r: libtorrent ${l}s ($(cpu_of "$LOG/lt.$r")s cpu)  ours ${o}s ($(cpu_of "$LOG/ours.$r")s cpu)"
done
stats "libtorrent from web seed" "${lt_times[@]}"; lt_med=$STAT_MEDIAN; lt_min=$STAT_MIN
stats "bitgocho from web seed" "${our_times[@]}"; our_med=$STAT_MEDIAN; our_min=$STAT_MIN
echo "RATIO ours/libtorrent web seed download: median $(ratio "$our_med" "$lt_med"), min $(ratio "$our_min" "$lt_min")"
