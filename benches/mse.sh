#!/usr/bin/env bash
# Cost of Message Stream Encryption: our seeder -> our leecher, 1 GiB over loopback, ROUNDS runs
# each, alternating plaintext (`--crypto off` both sides) and RC4 (`--crypto only` both sides,
# so every byte goes through RC4 both ways). Prints median/min per mode and the ratio RC4/plain.
# Usage: benches/mse.sh [rounds]
source "$(dirname "$0")/bench_lib.sh"
ROUNDS="${1:-3}"
need_tools
build_ours
big_data
TORRENT="$DATA/big.torrent"
DL="$DATA/dl"
LOG="$(mktemp -d)"
trap 'rm -rf "$LOG" "$DL"' EXIT

fresh_target() { rm -rf "$DL"; mkdir -p "$DL"; sync; }
verify() { cmp -s "$DL/big.bin" "$DATA/big/big.bin" || { echo "downloaded bytes differ ($1)" >&2; exit 1; }; }

run_mode() { # MODE ROUND: one download with both sides in MODE; appends the time to MODE's list
  local mode="$1" r="$2" t
  OURS_SEED_ARGS="--crypto $mode" start_seeder ours "$TORRENT" "$DATA/big"
  fresh_target
  timed "$LOG/$mode.$r" timeout 180 "$OURS" leech "$TORRENT" "$DL" --peer "127.0.0.1:$SEED_PORT" --timeout 170 \
    --crypto "$mode"
  stop_seeder
  verify "$mode"
  t=$(field seconds "$(cat "$LOG/$mode.$r")")
  echo "round $r $mode: ${t}s $(field rate_mib_s "$(cat "$LOG/$mode.$r")") MiB/s, leecher cpu $(cpu_of "$LOG/$mode.$r")s" >&2
  echo "$t"
}

echo "== our seeder -> our leecher, 1 GiB: plaintext vs RC4 ($ROUNDS rounds, alternating)"
plain=(); rc4=()
for r in $(seq 1 "$ROUNDS"); do
  plain+=("$(run_mode off "$r")")
  rc4+=("$(run_mode only "$r")")
done
stats "plaintext (crypto off)" "${plain[@]}"; p_med=$STAT_MEDIAN; p_min=$STAT_MIN
stats "RC4 (crypto_only)" "${rc4[@]}"; r_med=$STAT_MEDIAN; r_min=$STAT_MIN
echo "RATE plaintext median $(awk -v s="$p_med" 'BEGIN { printf "%.2f", 1 / s }') GiB/s," \
     "RC4 median $(awk -v s="$r_med" 'BEGIN { printf "%.2f", 1 / s }') GiB/s"
echo "RATIO RC4/plaintext time: median $(ratio "$r_med" "$p_med"), min $(ratio "$r_min" "$p_min")"
