#!/usr/bin/env bash
# Engine download benchmarks over loopback TCP, warm page cache on the seeding side (issue 4 §8):
#  1. A libtorrent seeder (Python binding, uTP off) serves a 1 GiB single-file torrent (1 MiB pieces);
#     libtorrent's own leecher, our engine (target/release/bitgocho-bench leech) and btdownloadheadless
#     download it in turn, ROUNDS each, the target deleted and `sync`ed between runs, the order of
#     the four clients rotated from round to round. Prints median/min
#     per side and the ratios ours/libtorrent (target <= 0.5). btdownloadheadless is timed from its
#     start to its first `Download Succeeded!` status (benches/headless_until_done.py), so its figure
#     also holds process start-up and reading the torrent.
#     Each round also runs benches/null_leech.py, a leecher that only receives (no hashing, no
#     writing): its time is the floor this seeder allows any leecher, printed as a ratio too.
#  2. Our seeder -> our leecher, 1 GiB, ROUNDS runs: prints the rate (target > 1 GiB/s).
# Times are from adding the torrent to "finished" (every piece received and hash-checked), measured
# inside each leecher process. Each round also shows when a tenth of the pieces were in and the rate
# over the rest: libtorrent's seeder sends one block at a time to a new peer until its once-a-second
# tick has measured that peer's upload (send_buffer_watermark), so the first tenth is slow for
# every leecher, for a random 0-1 s (benches/engine.md, session 3). Usage: benches/download.sh [rounds]   (SEED_TASKSET="taskset -c 0" pins seeders)
source "$(dirname "$0")/bench_lib.sh"
ROUNDS="${1:-3}"
need_tools
build_ours
big_download

# split_of LOG: "first tenth A s, then B MiB/s": the seeder's start-up apart from the steady rate.
split_of() { echo "first tenth $(field first_tenth_s "$(cat "$1")")s, then $(field rest_rate_mib_s "$(cat "$1")") MiB/s"; }

echo "== 1. libtorrent seeder -> libtorrent leecher vs our leecher ($ROUNDS rounds, alternating)"
"$PY" -c 'import libtorrent as lt; print("libtorrent", lt.__version__, "(default settings, uTP off)")'
start_seeder lt "$TORRENT" "$DATA/big"
lt_times=(); our_times=(); lt_cpu=(); our_cpu=(); hl_times=(); floor_times=()
# One download by each client; each round runs them in a rotated order, so that no client always
# follows the same one (the one before leaves the seeder and the kernel in its own state).
run_lt() {
  fresh_target
  timed "$LOG/lt.$r" timeout 180 "$PY" "$LTDIR/lt_leech.py" "$TORRENT" "$DL" "127.0.0.1:$SEED_PORT" 170
  lt_times+=("$(field seconds "$(cat "$LOG/lt.$r")")"); lt_cpu+=("$(cpu_of "$LOG/lt.$r")")
  verify libtorrent
}
run_ours() {
  fresh_target
  timed "$LOG/ours.$r" timeout 180 "$OURS" leech "$TORRENT" "$DL" --peer "127.0.0.1:$SEED_PORT" --timeout 170
  our_times+=("$(field seconds "$(cat "$LOG/ours.$r")")"); our_cpu+=("$(cpu_of "$LOG/ours.$r")")
  verify bitgocho
}
run_hl() {
  fresh_target
  timeout 180 "$PY" "$LTDIR/headless_until_done.py" 170 "$ROOT/target/release/btdownloadheadless" \
    --peer "127.0.0.1:$SEED_PORT" --saveas "$DL/big.bin" --display_interval 0.1 "$TORRENT" > "$LOG/hl.$r"
  hl_times+=("$(field seconds "$(cat "$LOG/hl.$r")")")
  verify btdownloadheadless
}
run_null() {
  fresh_target
  timeout 180 "$PY" "$LTDIR/null_leech.py" "$TORRENT" "127.0.0.1:$SEED_PORT" 170 > "$LOG/null.$r"
  floor_times+=("$(field seconds "$(cat "$LOG/null.$r")")")
}
clients=(lt ours hl null)
for r in $(seq 1 "$ROUNDS"); do
  order=()
  for i in 0 1 2 3; do order+=("${clients[$(((i + r - 1) % 4))]}"); done
  for c in "${order[@]}"; do "run_$c"; done
  echo "round $r (order ${order[*]}): floor (null leecher) ${floor_times[-1]}s ($(split_of "$LOG/null.$r"))"
  echo "round $r: btdownloadheadless ${hl_times[-1]}s ($(field cpu_user "$(cat "$LOG/hl.$r")")u+$(field cpu_sys "$(cat "$LOG/hl.$r")")s cpu)"
  echo "round $r: libtorrent ${lt_times[-1]}s ($(field cpu_user "$(cat "$LOG/lt.$r")")u+$(field cpu_sys "$(cat "$LOG/lt.$r")")s cpu," \
       "$(split_of "$LOG/lt.$r"))  ours ${our_times[-1]}s ($(field cpu_user "$(cat "$LOG/ours.$r")")u+$(field cpu_sys "$(cat "$LOG/ours.$r")")s cpu," \
       "$(split_of "$LOG/ours.$r"))"
done
stop_seeder
stats "libtorrent leecher" "${lt_times[@]}"; lt_med=$STAT_MEDIAN; lt_min=$STAT_MIN
stats "bitgocho leecher" "${our_times[@]}"; our_med=$STAT_MEDIAN; our_min=$STAT_MIN
stats "btdownloadheadless" "${hl_times[@]}"; hl_med=$STAT_MEDIAN; hl_min=$STAT_MIN
stats "floor (null leecher)" "${floor_times[@]}"; floor_med=$STAT_MEDIAN; floor_min=$STAT_MIN
echo "RATIO ours/libtorrent download: median $(ratio "$our_med" "$lt_med"), min $(ratio "$our_min" "$lt_min") (target <= 0.5)"
echo "RATIO btdownloadheadless/libtorrent download: median $(ratio "$hl_med" "$lt_med"), min $(ratio "$hl_min" "$lt_min")"
echo "RATIO floor/libtorrent (a leecher that neither hashes nor writes): median $(ratio "$floor_med" "$lt_med"), min $(ratio "$floor_min" "$lt_min")"
echo "CPU per download (user+sys, whole process): libtorrent median $(median "${lt_cpu[@]}")s," \
     "ours median $(median "${our_cpu[@]}")s; ratio $(ratio "$(median "${our_cpu[@]}")" "$(median "${lt_cpu[@]}")")"

echo "== 2. our seeder -> our leecher ($ROUNDS runs)"
start_seeder ours "$TORRENT" "$DATA/big"
ours_ours=(); oo_cpu=()
for r in $(seq 1 "$ROUNDS"); do
  fresh_target
  timed "$LOG/oo.$r" timeout 180 "$OURS" leech "$TORRENT" "$DL" --peer "127.0.0.1:$SEED_PORT" --timeout 170
  o=$(field seconds "$(cat "$LOG/oo.$r")"); ours_ours+=("$o"); oo_cpu+=("$(cpu_of "$LOG/oo.$r")")
  verify "bitgocho to bitgocho"
  echo "run $r: ${o}s $(field rate_mib_s "$(cat "$LOG/oo.$r")") MiB/s"
done
stop_seeder
stats "bitgocho -> bitgocho" "${ours_ours[@]}"
echo "RATE ours->ours: median $(awk -v s="$STAT_MEDIAN" 'BEGIN { printf "%.2f", 1 / s }') GiB/s," \
     "best $(awk -v s="$STAT_MIN" 'BEGIN { printf "%.2f", 1 / s }') GiB/s (target > 1 GiB/s);" \
     "leecher CPU median $(median "${oo_cpu[@]}")s per GiB"
