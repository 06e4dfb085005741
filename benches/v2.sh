#!/usr/bin/env bash
# v2-only torrents (BEP 52), 1 GiB single file, 1 MiB pieces, the torrent made by libtorrent itself
# (benches/lt_make.py ... v2), warm page cache, ROUNDS rounds alternating ours and libtorrent:
#  1. full check of existing data (SHA-256 merkle pieces): ours against libtorrent with
#     hashing_threads=2; prints the ratio.
#  2. a libtorrent seeder: libtorrent's leecher, then ours (`bitgocho-bench leech`); prints the ratio.
#  3. our seeder to our leecher: prints the rate.
# Usage: benches/v2.sh [rounds]
source "$(dirname "$0")/bench_lib.sh"
ROUNDS="${1:-3}"
need_tools
build_ours
big_download
V2="$DATA/big.v2.torrent"
[ -s "$V2" ] || "$PY" "$LTDIR/lt_make.py" "$DATA/big/big.bin" $((1 << 20)) "$V2" v2
"$PY" -c 'import libtorrent as lt; print("libtorrent", lt.__version__, "(default settings, uTP off)")'

echo "== 1. check of 1 GiB (v2) ($ROUNDS rounds, alternating; libtorrent hashing_threads=2)"
lt_t=(); our_t=()
for r in $(seq 1 "$ROUNDS"); do
  timed "$LOG/ltc.$r" timeout 150 "$PY" "$LTDIR/lt_check.py" "$V2" "$DATA/big" 2
  timed "$LOG/oc.$r" timeout 150 "$OURS" recheck "$V2" "$DATA/big" --timeout 140
  l=$(field seconds "$(cat "$LOG/ltc.$r")"); o=$(field seconds "$(cat "$LOG/oc.$r")"); lt_t+=("$l"); our_t+=("$o")
  echo "round $r: libtorrent ${l}s ($(cpu_of "$LOG/ltc.$r")s cpu)  ours ${o}s ($(cpu_of "$LOG/oc.$r")s cpu)"
done
stats "libtorrent v2 check" "${lt_t[@]}"; lt_med=$STAT_MEDIAN
stats "bitgocho v2 check" "${our_t[@]}"; our_med=$STAT_MEDIAN
echo "RATIO ours/libtorrent v2 check: median $(ratio "$our_med" "$lt_med")"

echo "== 2. libtorrent seeder -> libtorrent leecher vs our leecher (v2, $ROUNDS rounds, alternating)"
start_seeder lt "$V2" "$DATA/big"
lt_t=(); our_t=()
for r in $(seq 1 "$ROUNDS"); do
  fresh_target
  timed "$LOG/lt.$r" timeout 180 "$PY" "$LTDIR/lt_leech.py" "$V2" "$DL" "127.0.0.1:$SEED_PORT" 170
  lt_t+=("$(field seconds "$(cat "$LOG/lt.$r")")")
  verify libtorrent
  fresh_target
  timed "$LOG/ours.$r" timeout 180 "$OURS" leech "$V2" "$DL" --peer "127.0.0.1:$SEED_PORT" --timeout 170
  our_t+=("$(field seconds "$(cat "$LOG/ours.$r")")")
  verify bitgocho
  echo "round $r: libtorrent ${lt_t[-1]}s ($(cpu_of "$LOG/lt.$r")s cpu)  ours ${our_t[-1]}s ($(cpu_of "$LOG/ours.$r")s cpu)"
done
stop_seeder
stats "libtorrent v2 leecher" "${lt_t[@]}"; lt_med=$STAT_MEDIAN
stats "bitgocho v2 leecher" "${our_t[@]}"; our_med=$STAT_MEDIAN
echo "RATIO ours/libtorrent v2 download: median $(ratio "$our_med" "$lt_med")"

echo "== 3. our seeder -> our leecher (v2, $ROUNDS runs)"
start_seeder ours "$V2" "$DATA/big"
oo=()
for r in $(seq 1 "$ROUNDS"); do
  fresh_target
  timed "$LOG/oo.$r" timeout 180 "$OURS" leech "$V2" "$DL" --peer "127.0.0.1:$SEED_PORT" --timeout 170
  oo+=("$(field seconds "$(cat "$LOG/oo.$r")")")
  verify "bitgocho to bitgocho"
  echo "run $r: ${oo[-1]}s ($(cpu_of "$LOG/oo.$r")s leecher cpu)"
done
stop_seeder
stats "bitgocho -> bitgocho v2" "${oo[@]}"
echo "RATE ours->ours v2: median $(awk -v s="$STAT_MEDIAN" 'BEGIN { printf "%.2f", 1 / s }') GiB/s"
