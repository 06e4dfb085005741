# Shared helpers for the engine benchmarks (sourced by download.sh, recheck.sh, idle_torrents.sh).
# Data lives under target/bench-data (generated once, reused); everything runs on 127.0.0.1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
DATA="$ROOT/target/bench-data"
PY=/usr/bin/python3   # Debian's python, the one with python3-libtorrent
OURS="$ROOT/target/release/bitgocho-bench"
LTDIR="$ROOT/benches"

need_tools() {
  "$PY" -c 'import libtorrent' 2>/dev/null || { echo "python3-libtorrent missing (apt-get install python3-libtorrent)" >&2; exit 1; }
  command -v /usr/bin/time >/dev/null || { echo "/usr/bin/time missing (apt-get install time)" >&2; exit 1; }
}

build_ours() { cargo build --release --quiet --bin bitgocho-bench --bin btdownloadheadless; }

# big_data: 1 GiB of random bytes and a v1 torrent with 1 MiB pieces, made once; page cache warmed.
big_data() {
  mkdir -p "$DATA/big"
  if [ ! -s "$DATA/big/big.bin" ] || [ "$(stat -c %s "$DATA/big/big.bin")" != 1073741824 ]; then
    echo "generating 1 GiB of test data in $DATA/big" >&2
    head -c 1073741824 /dev/urandom > "$DATA/big/big.bin.tmp" && mv "$DATA/big/big.bin.tmp" "$DATA/big/big.bin"
    rm -f "$DATA/big.torrent"
  fi
  [ -s "$DATA/big.torrent" ] || "$PY" "$LTDIR/lt_make.py" "$DATA/big/big.bin" 1048576 "$DATA/big.torrent"
  cat "$DATA/big/big.bin" > /dev/null
}

# big_download: big_data, plus TORRENT (its torrent), DL (a download directory) and LOG (a log
# directory), the last two removed on exit.
big_download() {
  big_data
  TORRENT="$DATA/big.torrent"
  DL="$DATA/dl"
  LOG="$(mktemp -d)"
  trap 'rm -rf "$LOG" "$DL"' EXIT
}

# fresh_target: an empty download directory $DL, earlier writes synced, then a random pause of
# 0-0.99 s. libtorrent's seeder lifts a new peer out of its one-block-at-a-time start at its
# once-a-second tick; without the pause each leecher would start at a phase of that tick set by
# the length of the run before it (the same for every round), not a fair draw (benches/engine.md).
fresh_target() { rm -rf "$DL"; mkdir -p "$DL"; sync; sleep "0.$((RANDOM % 10))$((RANDOM % 10))"; }

# same_bytes GOT WANT WHO: exits, naming WHO, unless the downloaded file GOT equals WANT.
same_bytes() { cmp -s "$1" "$2" || { echo "downloaded bytes differ from the original ($3)" >&2; exit 1; }; }

# verify WHO: the 1 GiB download in $DL is byte-exact (big_download).
verify() { same_bytes "$DL/big.bin" "$DATA/big/big.bin" "$1"; }

# field KEY LINE: the value of key=value in LINE.
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

# stats NAME VALUES...: prints "NAME median=.. min=.. max=.. n=.." and sets STAT_MEDIAN, STAT_MIN.
stats() {
  local name="$1"; shift
  read -r STAT_MEDIAN STAT_MIN STAT_MAX < <(printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {
    m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }')
  printf '%-28s median=%ss min=%ss max=%ss runs=%d\n' "$name" "$STAT_MEDIAN" "$STAT_MIN" "$STAT_MAX" "$#"
}

# cpu_of OUTFILE: user+sys seconds recorded by `timed`.
cpu_of() { awk -v u="$(field cpu_user "$(cat "$1")")" -v s="$(field cpu_sys "$(cat "$1")")" 'BEGIN { printf "%.2f", u + s }'; }

# median VALUES...: the median, quietly.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END { printf "%.3f", (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2 }'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# timed OUTFILE CMD...: runs CMD under /usr/bin/time; its stdout goes to OUTFILE, "cpu=user+sys" appended.
timed() {
  local out="$1"; shift
  /usr/bin/time -f 'cpu_user=%U cpu_sys=%S max_rss_kib=%M' -o "$out.time" "$@" > "$out"
  cat "$out.time" >> "$out"
}

# start_seeder KIND TORRENT DATADIR: starts a seeder (lt or ours) on a coprocess, sets SEED_PORT, SEED_PID.
start_seeder() {
  local kind="$1" torrent="$2" dir="$3" line
  if [ "$kind" = lt ]; then
    coproc SEEDER { exec ${SEED_TASKSET:-} "$PY" "$LTDIR/lt_seed.py" "$torrent" "$dir" 900; }
  else
    coproc SEEDER { exec ${SEED_TASKSET:-} "$OURS" seed "$torrent" "$dir" --for 900 ${OURS_SEED_ARGS:-}; }
  fi
  SEED_PID=$SEEDER_PID
  SEED_IN=${SEEDER[1]}
  read -r -t 120 line <&"${SEEDER[0]}" || { echo "seeder ($kind) did not start" >&2; exit 1; }
  SEED_PORT=$(field port "$line")
  echo "$kind seeder ready on port $SEED_PORT ($line)" >&2
}

stop_seeder() {
  eval "exec $SEED_IN>&-"
  wait "$SEED_PID" 2>/dev/null || true
}
