#!/usr/bin/env python3
"""Independent MSE test vector (Python standard library only: pow() for DH, hashlib for SHA-1,
a tiny RC4). Prints the SHA-1 of each handshake message and the encrypted payloads for the fixed
keys and padding used by the unit test `wire::mse::tests::matches_independent_vector`."""
import hashlib

P = int("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404"
        "DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563", 16)


def h(*parts):
    return hashlib.sha1(b"".join(parts)).digest()


class RC4:
    def __init__(self, key):
        s = list(range(256))
        j = 0
        for i in range(256):
            j = (j + s[i] + key[i % len(key)]) & 0xFF
            s[i], s[j] = s[j], s[i]
        self.s, self.i, self.j = s, 0, 0
        self.crypt(bytes(1024))

    def crypt(self, data):
        s, i, j, out = self.s, self.i, self.j, bytearray()
        for b in data:
            i = (i + 1) & 0xFF
            j = (j + s[i]) & 0xFF
            s[i], s[j] = s[j], s[i]
            out.append(b ^ s[(s[i] + s[j]) & 0xFF])
        self.i, self.j = i, j
        return bytes(out)


xa = int.from_bytes(bytes([0x11] * 20), "big")
xb = int.from_bytes(bytes([0x22] * 20), "big")
pad_a = bytes(range(40))
pad_b = bytes(range(100, 133))
skey = bytes([0xAB] * 20)
ia = b"\x13BitTorrent protocol" + bytes(48)
ya = pow(2, xa, P).to_bytes(96, "big")
yb = pow(2, xb, P).to_bytes(96, "big")
s = pow(int.from_bytes(yb, "big"), xa, P).to_bytes(96, "big")
assert s == pow(int.from_bytes(ya, "big"), xb, P).to_bytes(96, "big")
a_enc = RC4(h(b"keyA", s, skey))
b_enc = RC4(h(b"keyB", s, skey))
step1 = ya + pad_a
step2 = yb + pad_b
r2, r3 = h(b"req2", skey), h(b"req3", s)
step3 = h(b"req1", s) + bytes(x ^ y for x, y in zip(r2, r3)) + a_enc.crypt(
    bytes(8) + (3).to_bytes(4, "big") + (0).to_bytes(2, "big") + len(ia).to_bytes(2, "big") + ia)
step4 = b_enc.crypt(bytes(8) + (2).to_bytes(4, "big") + (0).to_bytes(2, "big"))
payload_b = b_enc.crypt(b"world")
payload_a = a_enc.crypt(b"hello")
for name, v in [("step1", step1), ("step2", step2), ("step3", step3), ("step4", step4)]:
    print(name, h(v).hex())
print("payload_a", payload_a.hex())
print("payload_b", payload_b.hex())
