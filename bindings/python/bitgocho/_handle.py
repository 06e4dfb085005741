"""The one way wrapper classes own a C handle: released once by close(), a `with` block or
garbage collection, never used after that."""


class Handle:
    """Base of the wrapper classes. A subclass sets `_free` (the C `_free` function, as a
    staticmethod) and `_what` (its name in errors), and stores its handle in `_handle`."""

    _handle = None
    _free = None
    _what = "handle"

    def __init__(self, handle=None):
        self._handle = handle

    def close(self):
        """Releases the handle (idempotent)."""
        if self._handle:
            type(self)._free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    @property
    def handle(self):
        """The live C handle; raises ValueError once closed."""
        if not self._handle:
            raise ValueError(f"{self._what} is closed")
        return self._handle
