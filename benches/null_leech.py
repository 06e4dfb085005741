"""The floor a seeder allows: null_leech.py <torrent> <host:port> [timeout]. A leecher that only
receives: it requests every block (256 outstanding, topped up 8 at a time), reads the replies and
throws them away, without hashing or writing anything. Its time is what the seeder alone allows, so
no real leecher can beat it by much. Prints, like lt_leech.py, `leech seconds=S ... first_tenth_s=A
rest_rate_mib_s=R` (from connecting to the last block; `rest` is the rate over the last nine tenths)."""
import socket
import struct
import sys
import time

from lt_common import flush_print, lt

BLOCK = 16384
DEPTH, BATCH = 256, 8
CHOKE, UNCHOKE, PIECE = 0, 1, 7

torrent, peer = sys.argv[1], sys.argv[2]
timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 120
host, port = peer.rsplit(":", 1)
ti = lt.torrent_info(torrent)
size, plen = ti.total_size(), ti.piece_length()
blocks = [(p, b, min(BLOCK, min(plen, size - p * plen) - b))
          for p in range(ti.num_pieces()) for b in range(0, min(plen, size - p * plen), BLOCK)]

start = time.monotonic()
sock = socket.create_connection((host, int(port)), timeout=timeout)
sock.sendall(b"\x13BitTorrent protocol" + bytes(8) + bytes.fromhex(str(ti.info_hash())) + b"-NL0001-000000000000")
buf = bytearray(8 << 20)
view = memoryview(buf)
have = pos = 0


def fill():
    """Reads more into buf (compacting it first when past half), failing at the deadline."""
    global have, pos
    if time.monotonic() - start > timeout:
        sys.exit("null leecher: timed out after %ss" % timeout)
    if pos > len(buf) // 2:
        buf[:have - pos] = buf[pos:have]
        have, pos = have - pos, 0
    n = sock.recv_into(view[have:])
    if n == 0:
        sys.exit("null leecher: the seeder closed the connection")
    have += n


def take(n):
    """Waits until n bytes past pos are in, returns their offset, and moves past them."""
    global pos
    while have - pos < n:
        fill()
    at, pos = pos, pos + n
    return at


take(68)  # the seeder's handshake
sock.sendall(struct.pack(">IB", 1, 2))  # interested
sent = got = 0
unchoked = False
at_tenth = None
while got < len(blocks):
    (length,) = struct.unpack_from(">I", buf, take(4))
    body = take(length)
    kind = buf[body] if length else None
    if kind == UNCHOKE:
        unchoked = True
    elif kind == CHOKE:
        sys.exit("null leecher: choked by the seeder")
    elif kind == PIECE:
        got += 1
        if at_tenth is None and got * 10 >= len(blocks):
            at_tenth = time.monotonic() - start
    if unchoked and sent - got <= DEPTH - BATCH and sent < len(blocks):
        upto = min(len(blocks), got + DEPTH)
        sock.sendall(b"".join(struct.pack(">IBIII", 13, 6, *blocks[i]) for i in range(sent, upto)))
        sent = upto
secs = time.monotonic() - start
flush_print("leech seconds=%.3f bytes=%d rate_mib_s=%.1f first_tenth_s=%.3f rest_rate_mib_s=%.0f"
            % (secs, size, size / secs / 1048576, at_tenth, size * 0.9 / max(secs - at_tenth, 1e-6) / 1048576))
