"""Makes a single-file .torrent (no tracker) for a data file: lt_make.py <file> <piece-bytes> <out.torrent>."""
import os
import sys

from lt_common import lt

path, piece, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fs = lt.file_storage()
lt.add_files(fs, path)
t = lt.create_torrent(fs, piece, flags=lt.create_torrent.v1_only)
lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(path)))
with open(out + ".tmp", "wb") as f:
    f.write(lt.bencode(t.generate()))
os.replace(out + ".tmp", out)
