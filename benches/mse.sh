#!/usr/bin/env bash
# Cost of Message Stream Encryption, 1 GiB over loopback, ROUNDS runs of each, interleaved:
#  - our seeder -> our leecher in plaintext (`--crypto off` both sides);
#  - our seeder -> our leecher with RC4 (`--crypto only` both sides: every byte through RC4 both ways);
#  - the anchor: libtorrent seeder -> libtorrent leecher, both forced to RC4 (LT_FORCE_RC4=1).
# Prints median/min per mode, the ratio RC4/plaintext for us and the ratio ours/libtorrent with RC4.
# Usage: benches/mse.sh [rounds]
source "$(dirname "$0")/bench_lib.sh"
ROUNDS="${1:-3}"
need_tools
build_ours
big_download

run_mode() { # MODE ROUND: one download (MODE off|only: ours both sides; lt: libtorrent RC4); prints seconds
  local mode="$1" r="$2" t out="$LOG/$1.$2"
  fresh_target
  if [ "$mode" = lt ]; then
    LT_FORCE_RC4=1 start_seeder lt "$TORRENT" "$DATA/big"
    LT_FORCE_RC4=1 timed "$out" timeout 180 "$PY" "$LTDIR/lt_leech.py" "$TORRENT" "$DL" "127.0.0.1:$SEED_PORT" 170
  else
    OURS_SEED_ARGS="--crypto $mode" start_seeder ours "$TORRENT" "$DATA/big"
    timed "$out" timeout 180 "$OURS" leech "$TORRENT" "$DL" --peer "127.0.0.1:$SEED_PORT" --timeout 170 \
      --crypto "$mode"
  fi
  stop_seeder
  verify "$mode"
  t=$(field seconds "$(cat "$out")")
  echo "round $r $mode: ${t}s $(field rate_mib_s "$(cat "$out")") MiB/s, leecher cpu $(cpu_of "$out")s" >&2
  echo "$t"
}

echo "== 1 GiB over loopback: ours plaintext, ours RC4, libtorrent RC4 ($ROUNDS rounds, interleaved)"
plain=(); rc4=(); lt=()
for r in $(seq 1 "$ROUNDS"); do
  plain+=("$(run_mode off "$r")")
  rc4+=("$(run_mode only "$r")")
  lt+=("$(run_mode lt "$r")")
done
stats "ours plaintext" "${plain[@]}"; p_med=$STAT_MEDIAN; p_min=$STAT_MIN
stats "ours RC4 (crypto_only)" "${rc4[@]}"; r_med=$STAT_MEDIAN; r_min=$STAT_MIN
stats "libtorrent RC4 (pe_forced)" "${lt[@]}"; l_med=$STAT_MEDIAN; l_min=$STAT_MIN
gib() { awk -v s="$1" 'BEGIN { printf "%.2f", 1 / s }'; }
echo "RATE median: ours plaintext $(gib "$p_med") GiB/s, ours RC4 $(gib "$r_med") GiB/s, libtorrent RC4 $(gib "$l_med") GiB/s"
echo "RATIO ours RC4/plaintext time: median $(ratio "$r_med" "$p_med"), min $(ratio "$r_min" "$p_min")"
echo "RATIO ours/libtorrent with RC4: median $(ratio "$r_med" "$l_med"), min $(ratio "$r_min" "$l_min")"
