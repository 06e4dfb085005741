#!/usr/bin/env bash
# Full check of 1 GiB of existing data (warm page cache, 1 MiB pieces), ours against libtorrent with
# hashing_threads=2 (torrent added with no resume data, so every piece is hashed), alternating, ROUNDS
# runs each. Times are from adding the torrent to its "checked" event, measured inside each process;
# CPU is user+sys of the whole process. Target: ours <= 0.5 x libtorrent.
# Usage: benches/recheck.sh [rounds]
source "$(dirname "$0")/bench_lib.sh"
ROUNDS="${1:-5}"
need_tools
build_ours
big_data
TORRENT="$DATA/big.torrent"
LOG="$(mktemp -d)"
trap 'rm -rf "$LOG"' EXIT
"$PY" -c 'import libtorrent as lt; print("libtorrent", lt.__version__, "hashing_threads=2; ours: one hashing thread per core,", end=" ")'
nproc | sed 's/$/ cores/'
lt_t=(); our_t=(); lt_cpu=(); our_cpu=()
for r in $(seq 1 "$ROUNDS"); do
  timed "$LOG/lt.$r" timeout 150 "$PY" "$LTDIR/lt_check.py" "$TORRENT" "$DATA/big" 2
  timed "$LOG/ours.$r" timeout 150 "$OURS" recheck "$TORRENT" "$DATA/big" --timeout 140
  l=$(field seconds "$(cat "$LOG/lt.$r")"); o=$(field seconds "$(cat "$LOG/ours.$r")")
  lt_t+=("$l"); our_t+=("$o"); lt_cpu+=("$(cpu_of "$LOG/lt.$r")"); our_cpu+=("$(cpu_of "$LOG/ours.$r")")
  echo "round $r: libtorrent ${l}s ($(field cpu_user "$(cat "$LOG/lt.$r")")u+$(field cpu_sys "$(cat "$LOG/lt.$r")")s cpu," \
       "$(field pieces "$(cat "$LOG/lt.$r")") pieces)  ours ${o}s ($(field cpu_user "$(cat "$LOG/ours.$r")")u+$(field cpu_sys "$(cat "$LOG/ours.$r")")s cpu," \
       "$(field pieces "$(cat "$LOG/ours.$r")") pieces)"
done
stats "libtorrent check" "${lt_t[@]}"; lt_med=$STAT_MEDIAN; lt_min=$STAT_MIN
stats "bitgocho check" "${our_t[@]}"; our_med=$STAT_MEDIAN; our_min=$STAT_MIN
echo "RATIO ours/libtorrent recheck: median $(ratio "$our_med" "$lt_med"), min $(ratio "$our_min" "$lt_min") (target <= 0.5)"
echo "CPU per check (user+sys, whole process): libtorrent median $(median "${lt_cpu[@]}")s," \
     "ours median $(median "${our_cpu[@]}")s; ratio $(ratio "$(median "${our_cpu[@]}")" "$(median "${lt_cpu[@]}")")"
