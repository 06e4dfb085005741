#!/usr/bin/env bash
# Benchmark: replace the tracker of a large .torrent (500,000 pieces, 10 MB) with our btreannounce
# and with the anchor transmission-edit, side by side in the same hyperfine run, and print the
# ratio. Usage: benches/edit.sh [pieces]   (needs hyperfine, transmission-cli, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
PIECES="${1:-500000}"
for tool in hyperfine transmission-edit python3; do
  command -v "$tool" >/dev/null || { echo "benches/edit.sh: $tool missing (apt: hyperfine / transmission-cli / python3)" >&2; exit 1; }
done
cargo build --release --quiet --bin btreannounce
OURS="$PWD/target/release/btreannounce"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 - "$WORK/big.torrent" "$PIECES" <<'PY'
import os, sys
path, n = sys.argv[1], int(sys.argv[2])
def b(s): return b"%d:%s" % (len(s), s)
plen = 32768
info = b"d6:lengthi%de4:name7:big.bin12:piece lengthi%de6:pieces%se" % (n * plen, plen, b(os.urandom(20 * n)))
data = b"d8:announce" + b(b"http://old.example/announce") + b"4:info" + info + b"e"
open(path, "wb").write(data)
PY
ls -l "$WORK/big.torrent" | awk '{print "torrent size:", $5, "bytes"}'
cp "$WORK/big.torrent" "$WORK/ours.torrent"
cp "$WORK/big.torrent" "$WORK/theirs.torrent"
# Each run swaps the URL back and forth so both tools do a real replacement every time.
hyperfine --warmup 3 --runs 30 --export-json "$WORK/result.json" \
  -n btreannounce "$OURS http://new.example/announce $WORK/ours.torrent >/dev/null 2>&1; $OURS http://old.example/announce $WORK/ours.torrent >/dev/null 2>&1" \
  -n transmission-edit "transmission-edit -r old.example new.example $WORK/theirs.torrent >/dev/null; transmission-edit -r new.example old.example $WORK/theirs.torrent >/dev/null"
python3 - "$WORK/result.json" <<'PY'
import json, sys
res = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
def wall(x): return x["median"]
def cpu(x): return x["user"] + x["system"]
ours, theirs = res["btreannounce"], res["transmission-edit"]
print(f"median wall: btreannounce {wall(ours)*1000:.1f} ms, transmission-edit {wall(theirs)*1000:.1f} ms "
      f"(two edits per run); ratio transmission-edit/btreannounce = {wall(theirs)/wall(ours):.2f}x")
print(f"mean CPU (user+sys): btreannounce {cpu(ours)*1000:.1f} ms, transmission-edit {cpu(theirs)*1000:.1f} ms; "
      f"ratio = {cpu(theirs)/cpu(ours):.2f}x")
PY
cmp -s "$WORK/big.torrent" "$WORK/ours.torrent" && echo "btreannounce: file byte-identical after the round trip" \
  || { echo "btreannounce: file changed after the round trip" >&2; exit 1; }
