"""Every function of include/bitgocho.h is declared in bitgocho/_ffi.py, and nothing else is."""

import os
import re
import unittest

from bitgocho import _ffi

HEADER = os.path.join(os.path.dirname(__file__), "..", "..", "..", "include", "bitgocho.h")


def header_functions():
    names = set()
    with open(HEADER) as f:
        for line in f:
            if line.lstrip().startswith(("*", "/*")):
                continue
            names.update(re.findall(r"\b(bitgocho_\w+)\(", line))
    return names


class FfiTest(unittest.TestCase):
    def test_declarations_match_header(self):
        header = header_functions()
        self.assertGreater(len(header), 50)
        self.assertEqual(set(_ffi.SIGNATURES), header)

    def test_every_declared_function_is_exported(self):
        for name in _ffi.SIGNATURES:
            self.assertTrue(hasattr(_ffi.lib, name), name)


if __name__ == "__main__":
    unittest.main()
