"""Finds and loads the libbitgocho shared library.

Order: the BITGOCHO_LIBRARY environment variable (a path), then the system's library search
(ctypes.util.find_library), then the build tree (../../target/release, ../../target/debug).
"""

import ctypes
import ctypes.util
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
_TREE = os.path.normpath(os.path.join(_HERE, "..", "..", "..", "target"))


def candidates():
    """The paths tried, in order."""
    env = os.environ.get("BITGOCHO_LIBRARY")
    if env:
        yield env
    found = ctypes.util.find_library("bitgocho")
    if found:
        yield found
    for profile in ("release", "debug"):
        yield os.path.join(_TREE, profile, "libbitgocho.so")


def load():
    """Loads the first library that opens; raises OSError naming every path tried."""
    tried = []
    for path in candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as err:
            tried.append(f"{path}: {err}")
    raise OSError("libbitgocho not found; set BITGOCHO_LIBRARY. Tried:\n  " + "\n  ".join(tried))
