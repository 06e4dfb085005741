#!/usr/bin/env bash
# Installs the real BitTorrent software and tools the test suite runs against, when missing.
# Idempotent; needs root (apt-get) only when something is missing.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
have pkg-config || need+=(pkg-config)
have valgrind || need+=(valgrind)
have g++ || need+=(g++)
have gcc || need+=(gcc)
have make || need+=(make)
have nm || need+=(binutils)
have readelf || need+=(binutils)
have transmission-show || need+=(transmission-cli)
have aria2c || need+=(aria2)
have mktorrent || need+=(mktorrent)
have chattr || need+=(e2fsprogs)
[ -x /usr/bin/chromium ] || need+=(chromium)   # tests/tracker_page_browser.rs
have opentracker || need+=(opentracker)
have socat || need+=(socat)         # tests/https.rs: TLS in front of bttrack and web seeds
/usr/bin/python3 -c 'import libtorrent' >/dev/null 2>&1 || need+=(python3-libtorrent)
if [ "${#need[@]}" -gt 0 ]; then
  echo "install-deps: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
