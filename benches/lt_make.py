"""Makes a single-file .torrent (no tracker) for a data file with libtorrent:
lt_make.py <file> <piece-bytes> <out.torrent> [v1|v2|hybrid] (default v1)."""
import os
import sys

from lt_common import lt

path, piece, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
kind = sys.argv[4] if len(sys.argv) > 4 else "v1"
flags = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}[kind]
fs = lt.file_storage()
lt.add_files(fs, path)
t = lt.create_torrent(fs, piece, flags=flags)
lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(path)))
with open(out + ".tmp", "wb") as f:
    f.write(lt.bencode(t.generate()))
os.replace(out + ".tmp", out)
