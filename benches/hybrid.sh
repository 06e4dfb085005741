#!/usr/bin/env bash
# What checking hybrid pieces against both hashes costs (session 10): the same 1 GiB file as a v1
# torrent and as a hybrid (v1 + v2, made by libtorrent), each served by our seeder over loopback and
# downloaded ROUNDS times, alternating, by our leecher and by libtorrent's (which also checks both
# hashes of a hybrid). Prints medians, our hybrid/v1 cost, and ours/libtorrent per kind.
# Usage: benches/hybrid.sh [rounds]
source "$(dirname "$0")/bench_lib.sh"
ROUNDS="${1:-3}"
need_tools
build_ours
big_download
HYBRID="$DATA/big.hybrid.torrent"
[ -s "$HYBRID" ] || "$PY" "$LTDIR/lt_make.py" "$DATA/big/big.bin" 1048576 "$HYBRID" hybrid
declare -A times cpu
for kind in v1 hybrid; do
  torrent="$TORRENT"; [ "$kind" = hybrid ] && torrent="$HYBRID"
  start_seeder ours "$torrent" "$DATA/big"
  for r in $(seq 1 "$ROUNDS"); do
    fresh_target
    timed "$LOG/ours.$kind.$r" timeout 180 "$OURS" leech "$torrent" "$DL" --peer "127.0.0.1:$SEED_PORT" --timeout 170
    verify "bitgocho $kind"
    times[ours.$kind]+="$(field seconds "$(cat "$LOG/ours.$kind.$r")") "
    cpu[ours.$kind]+="$(cpu_of "$LOG/ours.$kind.$r") "
    fresh_target
    timed "$LOG/lt.$kind.$r" timeout 180 "$PY" "$LTDIR/lt_leech.py" "$torrent" "$DL" "127.0.0.1:$SEED_PORT" 170
    verify "libtorrent $kind"
    times[lt.$kind]+="$(field seconds "$(cat "$LOG/lt.$kind.$r")") "
    cpu[lt.$kind]+="$(cpu_of "$LOG/lt.$kind.$r") "
    echo "round $r $kind: ours $(field seconds "$(cat "$LOG/ours.$kind.$r")")s ($(cpu_of "$LOG/ours.$kind.$r") cpu)," \
         "libtorrent $(field seconds "$(cat "$LOG/lt.$kind.$r")")s ($(cpu_of "$LOG/lt.$kind.$r") cpu)"
  done
  stop_seeder
done
for who in ours lt; do
  for kind in v1 hybrid; do
    # shellcheck disable=SC2086
    stats "$who $kind" ${times[$who.$kind]}
    # shellcheck disable=SC2086
    echo "  cpu median $(median ${cpu[$who.$kind]})s"
  done
done
# shellcheck disable=SC2086
o1=$(median ${times[ours.v1]}); oh=$(median ${times[ours.hybrid]}); l1=$(median ${times[lt.v1]}); lh=$(median ${times[lt.hybrid]})
# shellcheck disable=SC2086
echo "RATIO ours hybrid/v1: time $(ratio "$oh" "$o1"), cpu $(ratio "$(median ${cpu[ours.hybrid]})" "$(median ${cpu[ours.v1]})")"
echo "RATIO ours/libtorrent: v1 $(ratio "$o1" "$l1"), hybrid $(ratio "$oh" "$lh")"
