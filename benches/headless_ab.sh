#!/usr/bin/env bash
# A/B of downloaders against one libtorrent seeder (uTP off) of the 1 GiB torrent of download.sh:
# each round runs every client once, in an order rotated from round to round, each on a fresh
# target after a random pause (as download.sh). A client is `ENGINE` (target/release/bitgocho-bench
# leech, timed inside the process) or a btdownloadheadless command line (quoted, options allowed:
# "target/release/btdownloadheadless --dht 0"), timed from its start to `Download Succeeded!`
# with HOME in a scratch directory. Prints each round and the median per client.
# Usage: benches/headless_ab.sh ROUNDS CLIENT...
# Example: benches/headless_ab.sh 10 ENGINE target/release/btdownloadheadless /tmp/old/btdownloadheadless
source "$(dirname "$0")/bench_lib.sh"
ROUNDS="${1:?rounds}"; shift
CLIENTS=("$@")
[ ${#CLIENTS[@]} -gt 0 ] || { echo "no client given" >&2; exit 2; }
need_tools
build_ours
big_download
start_seeder lt "$TORRENT" "$DATA/big"
declare -A TIMES
for r in $(seq 1 "$ROUNDS"); do
  n=${#CLIENTS[@]}
  for i in $(seq 0 $((n - 1))); do
    c=${CLIENTS[$(((i + r) % n))]}
    fresh_target
    if [ "$c" = ENGINE ]; then
      timed "$LOG/out" timeout 180 "$OURS" leech "$TORRENT" "$DL" --peer "127.0.0.1:$SEED_PORT" --timeout 170
    else
      # shellcheck disable=SC2086 # a client is a command line
      HOME=$LOG timeout 180 "$PY" "$LTDIR/headless_until_done.py" 170 $c --peer "127.0.0.1:$SEED_PORT" \
        --saveas "$DL/big.bin" --display_interval 0.1 "$TORRENT" > "$LOG/out"
    fi
    verify "$c"
    s=$(field seconds "$(cat "$LOG/out")")
    TIMES[$c]="${TIMES[$c]:-} $s"
    echo "round $r: $c ${s}s ($(field cpu_user "$(cat "$LOG/out")")u+$(field cpu_sys "$(cat "$LOG/out")")s cpu)"
  done
done
stop_seeder
# shellcheck disable=SC2086 # the times are a word list
for c in "${CLIENTS[@]}"; do stats "$c" ${TIMES[$c]}; done
