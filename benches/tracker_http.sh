#!/usr/bin/env bash
# HTTP announce throughput: bttrack vs opentracker (Debian) on loopback under the same wrk load,
# alternating runs; then BEP 15 UDP announces/s of bttrack pinned to one core.
#
#   benches/tracker_http.sh [rounds] [seconds]
#
# Load: wrk -t1 -c64 with benches/announce.lua (random peer ids and ports over $TORRENTS
# info-hashes, compact=1, numwant=30); both trackers whitelist exactly those hashes
# (opentracker -w, bttrack --allowed_list). Prints announces/s of each run, the medians, the
# ratio bttrack/opentracker, bttrack's RSS per tracked peer, and the UDP figure.
# BTTRACK_ARGS adds bttrack options (e.g. "--min_time_between_cache_refreshes 0" for an A/B run).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECS=${2:-10}
export TORRENTS=${TORRENTS:-1000}
for tool in wrk opentracker taskset curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt: wrk opentracker util-linux curl python3)"; exit 1; }
done
cargo build --release --bin bttrack >/dev/null
BTTRACK=target/release/bttrack
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

for i in $(seq 1 "$TORRENTS"); do h=$(printf '%08x' "$i"); echo "$h$h$h$h$h"; done > "$WORK/whitelist"

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened"; exit 1; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

OT_PORT=$(free_port)
(cd "$WORK" && exec opentracker -i 127.0.0.1 -p "$OT_PORT" -P "$OT_PORT" -w "$WORK/whitelist" >/dev/null 2>&1) &
OT_PID=$!; PIDS+=("$OT_PID")
BG_PORT=$(free_port)
"$BTTRACK" --port "$BG_PORT" --bind 127.0.0.1 --dfile "$WORK/dstate" --nat_check 0 --logfile /dev/null \
  --allowed_list "$WORK/whitelist" --save_dfile_interval 100000 ${BTTRACK_ARGS:-} 2>"$WORK/bttrack.err" &
BG_PID=$!; PIDS+=("$BG_PID")
wait_port "$OT_PORT"; wait_port "$BG_PORT"
BG_RSS0=$(rss_kb "$BG_PID")

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)
run_wrk() { # port pid -> "announces/s announces-per-tracker-CPU-second"
  local out c0 c1
  c0=$(cpu_ticks "$2")
  out=$(wrk -t1 -c64 -d"${SECS}s" -s benches/announce.lua "http://127.0.0.1:$1/announce")
  local errs; errs=$(echo "$out" | awk '/ANNOUNCE_ERRORS/ {print $2}')
  local non2xx; non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  if [ "${errs:-0}" != 0 ] || [ -n "$non2xx" ]; then echo "port $1: $errs failed announces $non2xx" >&2; echo "$out" >&2; exit 1; fi
  c1=$(cpu_ticks "$2")
  local total; total=$(echo "$out" | awk '/requests in/ {print $1}')
  local rps; rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%d", $2}')
  echo "$rps $(python3 -c "print(int($total * $TICK / max($c1 - $c0, 1)))")"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

OT=(); BG=(); OTC=(); BGC=()
for r in $(seq 1 "$ROUNDS"); do
  read -r o oc < <(run_wrk "$OT_PORT" "$OT_PID"); read -r b bc < <(run_wrk "$BG_PORT" "$BG_PID")
  echo "round $r: opentracker $o/s ($oc per tracker CPU-second)  bttrack $b/s ($bc per tracker CPU-second)"
  OT+=("$o"); BG+=("$b"); OTC+=("$oc"); BGC+=("$bc")
done
OTM=$(printf '%s\n' "${OT[@]}" | median); BGM=$(printf '%s\n' "${BG[@]}" | median)
OTCM=$(printf '%s\n' "${OTC[@]}" | median); BGCM=$(printf '%s\n' "${BGC[@]}" | median)
echo "HTTP announces/s (median of $ROUNDS x ${SECS}s, wrk -t1 -c64): opentracker $OTM  bttrack $BGM  ratio $(python3 -c "print(f'{$BGM/$OTM:.2f}')")x"
echo "HTTP announces per tracker CPU-second: opentracker $OTCM  bttrack $BGCM  ratio $(python3 -c "print(f'{$BGCM/$OTCM:.2f}')")x"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"

# Memory per tracked peer: RSS growth over the run / peers in bttrack's full scrape.
BG_RSS1=$(rss_kb "$BG_PID")
PEERS=$(curl -s "http://127.0.0.1:$BG_PORT/scrape" | python3 -c '
import sys, re
d = sys.stdin.buffer.read()
print(sum(int(x) for x in re.findall(rb"8:completei(\d+)e", d)) + sum(int(x) for x in re.findall(rb"10:incompletei(\d+)e", d)))')
echo "bttrack: $PEERS peers tracked, RSS $BG_RSS0 -> $BG_RSS1 KiB, $(python3 -c "print(f'{($BG_RSS1-$BG_RSS0)*1024/max($PEERS,1):.0f}')") bytes/peer"
kill "$BG_PID"; wait "$BG_PID" 2>/dev/null || true

# UDP: bttrack pinned to CPU 0, the generator on CPU 1.
rustc --edition 2021 -O benches/udp_load.rs -o "$WORK/udp_load"
UDP_PORT=$(free_port)
taskset -c 0 "$BTTRACK" --port "$UDP_PORT" --bind 127.0.0.1 --dfile "$WORK/dstate2" --nat_check 0 --logfile /dev/null \
  --allowed_list "$WORK/whitelist" --save_dfile_interval 100000 2>"$WORK/bttrack2.err" &
U_PID=$!; PIDS+=("$U_PID")
wait_port "$UDP_PORT"
UC0=$(cpu_ticks "$U_PID")
UOUT=$(taskset -c 1 "$WORK/udp_load" "127.0.0.1:$UDP_PORT" "$SECS" 50000000 "$TORRENTS" 8 64)
UC1=$(cpu_ticks "$U_PID")
echo "$UOUT"
echo "UDP announces per tracker CPU-second: $(echo "$UOUT" | awk -v t="$TICK" -v c=$((UC1 - UC0)) '{printf "%d", $2 * t / (c > 0 ? c : 1)}') (tracker pinned to CPU 0, generator to CPU 1)"
kill "$U_PID"; wait "$U_PID" 2>/dev/null || true
