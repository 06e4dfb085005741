#!/usr/bin/env bash
# Torrent creation benchmark (issue §6), run by hand: ours against mktorrent on a 1 GiB file,
# warm page cache, alternating A/B, RUNS runs each after one warm-up; then our v2 and hybrid
# times (libtorrent's hybrid creation as the anchor), mmap against pread, and parse times of a
# torrent of a 4 GiB file with 1 MiB pieces.
#   benches/create.sh            (RUNS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
DATA=target/bench-data
OUT=$DATA/out
mkdir -p "$DATA" "$OUT"
BIG=$DATA/1g.bin
SPARSE=$DATA/4g.sparse

command -v mktorrent >/dev/null || { echo "mktorrent missing: apt-get install mktorrent" >&2; exit 1; }
/usr/bin/python3 -c 'import libtorrent' 2>/dev/null || { echo "install python3-libtorrent" >&2; exit 1; }
cargo build --release --bin btmakemetafile >&2
cargo bench --no-run --bench create_parse >&2
BENCH=$(ls -t target/release/deps/create_parse-* | grep -v '\.d$' | head -1)

if [ ! -f "$BIG" ]; then
  echo "generating $BIG" >&2
  head -c $((1024 * 1024 * 1024)) /dev/urandom > "$BIG.tmp" && mv "$BIG.tmp" "$BIG"
fi
cat "$BIG" > /dev/null   # warm the page cache
T=$(nproc)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), warm cache, 1 GiB, 2^18 pieces"
echo "mktorrent: $(mktorrent -h 2>&1 | head -1)"

# Runs a command once and prints its wall time in seconds; its CPU time (user+sys, children
# included) is appended to $CPUFILE.
CPUFILE=$(mktemp)
trap 'rm -f "$CPUFILE"' EXIT
timeit() {
  local s=$EPOCHREALTIME t0 t1 me=$BASHPID
  t0=$(awk '{print $14+$15+$16+$17}' "/proc/$me/stat")
  "$@" >/dev/null 2>&1
  local e=$EPOCHREALTIME
  t1=$(awk '{print $14+$15+$16+$17}' "/proc/$me/stat")
  echo "$t0 $t1" | awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f\n", ($2 - $1) / hz}' >> "$CPUFILE"
  echo "$s $e" | awk '{printf "%.4f\n", $2 - $1}'
}
# Prints "median min" of the numbers given.
stats() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.3f %.3f\n", a[int((NR+1)/2)], a[1]}'; }

ours() { target/release/btmakemetafile http://127.0.0.1:1/announce "$BIG" --piece_size_pow2 18 --target "$OUT/ours.torrent" "$@"; }
mk() { rm -f "$OUT/mk.torrent"; mktorrent -t "$T" -l 18 -a http://127.0.0.1:1/announce -o "$OUT/mk.torrent" "$BIG"; }
lt_hybrid() {
  /usr/bin/python3 - "$BIG" "$OUT/lt.torrent" <<'PY'
import sys, os, libtorrent as lt
fs = lt.file_storage(); lt.add_files(fs, sys.argv[1])
ct = lt.create_torrent(fs, 262144)
lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(sys.argv[1])))
open(sys.argv[2], 'wb').write(lt.bencode(ct.generate()))
PY
}

a=(); b=(); ca=""; cb=""
timeit ours >/dev/null; timeit mk >/dev/null           # warm-up
: > "$CPUFILE"
for _ in $(seq "$RUNS"); do
  a+=("$(timeit ours)"); ca+=" $(tail -1 "$CPUFILE")"
  b+=("$(timeit mk)"); cb+=" $(tail -1 "$CPUFILE")"
done
: > "$CPUFILE"
read -r am amin <<<"$(stats "${a[@]}")"; read -r bm bmin <<<"$(stats "${b[@]}")"
echo "v1 ours      median $am s  min $amin s   (runs: ${a[*]}; CPU s:$ca)"
echo "v1 mktorrent median $bm s  min $bmin s   (runs: ${b[*]}; CPU s:$cb)"
echo "v1 ratio ours/mktorrent: median $(awk -v x="$am" -v y="$bm" 'BEGIN{printf "%.2f", x/y}')  min $(awk -v x="$amin" -v y="$bmin" 'BEGIN{printf "%.2f", x/y}')"
cmp <(python3 -c "import sys;d=open(sys.argv[1],'rb').read();i=d.index(b'4:infod');print(d[i:-1].hex())" "$OUT/ours.torrent") \
    <(python3 -c "import sys;d=open(sys.argv[1],'rb').read();i=d.index(b'4:infod');print(d[i:-1].hex())" "$OUT/mk.torrent") >/dev/null \
  && echo "v1 info dicts identical to mktorrent's" || echo "note: info dict differs from mktorrent's (expected only if key sets differ)"

v=(); h=(); l=(); cv=""; ch=""; cl=""
timeit ours --v2 1 >/dev/null; timeit ours --hybrid 1 >/dev/null; timeit lt_hybrid >/dev/null
for _ in $(seq "$RUNS"); do
  v+=("$(timeit ours --v2 1)"); cv+=" $(tail -1 "$CPUFILE")"
  h+=("$(timeit ours --hybrid 1)"); ch+=" $(tail -1 "$CPUFILE")"
  l+=("$(timeit lt_hybrid)"); cl+=" $(tail -1 "$CPUFILE")"
done
read -r vm vmin <<<"$(stats "${v[@]}")"; read -r hm hmin <<<"$(stats "${h[@]}")"; read -r lm lmin <<<"$(stats "${l[@]}")"
echo "v2 ours      median $vm s  min $vmin s   (CPU s:$cv)"
echo "hybrid ours  median $hm s  min $hmin s   (CPU s:$ch)"
echo "hybrid libtorrent $(/usr/bin/python3 -c 'import libtorrent as lt; print(lt.__version__)') median $lm s  min $lmin s   (CPU s:$cl)"
echo "hybrid ratio ours/libtorrent: median $(awk -v x="$hm" -v y="$lm" 'BEGIN{printf "%.2f", x/y}')"

echo "read methods (library, same process, alternating):"
"$BENCH" methods "$BIG" "$RUNS"

if [ ! -f "$OUT/4g-v1.torrent" ]; then
  truncate -s 4G "$SPARSE"
  target/release/btmakemetafile http://127.0.0.1:1/announce "$SPARSE" --piece_size_pow2 20 --target "$OUT/4g-v1.torrent" >/dev/null 2>&1
  target/release/btmakemetafile http://127.0.0.1:1/announce "$SPARSE" --piece_size_pow2 20 --hybrid 1 --target "$OUT/4g-hybrid.torrent" >/dev/null 2>&1
fi
echo "parse (torrent of a 4 GiB file, 1 MiB pieces):"
"$BENCH" parse "$OUT/4g-v1.torrent" 2000
"$BENCH" parse "$OUT/4g-hybrid.torrent" 2000
