#!/usr/bin/env python3
"""Writes the hand-made seeds of test/fuzz/corpus/<target>/: valid
messages that reach deep into each parser, and the edge cases next to
them. Each input's layout is described at the top of its target's source.
The corpus also holds inputs that libFuzzer found (named by their SHA-1)
and crash reproducers (crash-*): this script leaves those alone.

Usage: test/fuzz/make_corpus.py [CORPUS_DIR]
"""
import os
import struct
import sys

corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    folder = os.path.join(corpus, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(bytes(data))


# ---- tcp: chunk byte, then the stream of one accepted connection
# (tcp_frame.h: header u8 type, u8 am id, u16 reserved, u32 length)
def frame(kind, am_id, payload):
    return struct.pack("<BBHI", kind, am_id, 0, len(payload)) + payload


AM, HELLO, ACK, NACK, CHALLENGE, PROOF = range(6)
hello = struct.pack("<IHHQ", 0x6f6c6568, 2, 0, 0x1234) + bytes(16)
proof = bytes(32)
opened = frame(HELLO, 0, hello) + frame(PROOF, 0, proof)
write("tcp", "hello", b"\0" + frame(HELLO, 0, hello))
write("tcp", "hello-proof-am", b"\0" + opened +
      frame(AM, 1, bytes(range(40))) + frame(AM, 0, b"x" * 24))
write("tcp", "hello-proof-am-bytewise", b"\1" + opened +
      frame(AM, 1, bytes(range(40))))
write("tcp", "hello-proof-ack", b"\0" + opened + frame(ACK, 0, b""))
write("tcp", "hello-proof-hello", b"\0" + opened + frame(HELLO, 0, hello))
write("tcp", "am-first", b"\0" + frame(AM, 1, bytes(16)))
write("tcp", "challenge-to-acceptor", b"\0" +
      frame(CHALLENGE, 0, struct.pack("<Q", 1) + bytes(48)))
write("tcp", "hello-bad-magic", b"\0" +
      frame(HELLO, 0, struct.pack("<IHHQ", 1, 2, 0, 7) + bytes(16)))
write("tcp", "hello-uid-0", b"\0" +
      frame(HELLO, 0, struct.pack("<IHHQ", 0x6f6c6568, 2, 0, 0) + bytes(16)))
write("tcp", "hello-short", b"\0" + frame(HELLO, 0, hello)[:20])
write("tcp", "am-huge-length", b"\0" + opened +
      struct.pack("<BBHI", AM, 1, 0, 0xffffffff))
write("tcp", "am-bad-id", b"\0" + opened + frame(AM, 255, bytes(8)))
write("tcp", "type-unknown", b"\7" + struct.pack("<BBHI", 9, 0, 0, 0))

# the worker connected (bit 7 of byte 0): answers to its HELLO
challenge = struct.pack("<Q", 0x5eed) + bytes(48)
write("tcp", "connect-challenge-ack-am", b"\x80" +
      frame(CHALLENGE, 0, challenge) + frame(ACK, 0, b"") +
      frame(AM, 1, bytes(range(32))))
write("tcp", "connect-challenge-nack", b"\x80" +
      frame(CHALLENGE, 0, challenge) + frame(NACK, 0, b""))
write("tcp", "connect-challenge-bytewise", b"\x81" +
      frame(CHALLENGE, 0, challenge) + frame(ACK, 0, b""))
write("tcp", "connect-challenge-other-uid", b"\x80" +
      frame(CHALLENGE, 0, struct.pack("<Q", 99) + bytes(48)))
write("tcp", "connect-ack-first", b"\x80" + frame(ACK, 0, b""))
write("tcp", "connect-hello", b"\x80" + frame(HELLO, 0, hello))
write("tcp", "connect-close", b"\x80")

# ---- boot_server: size - 1, clients - 1, then steps (control byte:
# client + 8 * action; action 1 is a header: op, rank, length, payload)
B_HELLO, B_ACK, B_ALLGATHER, B_REPLY, B_BYE, B_FAIL = range(1, 7)


def header(client, op, rank, payload=b""):
    return bytes([8 + client, op, rank, len(payload)]) + payload


write("boot_server", "one-rank", bytes([0, 0]) + header(0, B_HELLO, 0) +
      header(0, B_ALLGATHER, 0, b"abcd") + header(0, B_ALLGATHER, 0) +
      header(0, B_BYE, 0))
write("boot_server", "two-ranks", bytes([1, 1]) + header(0, B_HELLO, 0) +
      header(1, B_HELLO, 1) + header(0, B_ALLGATHER, 0, b"12345678") +
      header(1, B_ALLGATHER, 1, b"abcdefgh") + header(0, B_BYE, 0) +
      header(1, B_BYE, 1))
write("boot_server", "rank-dies", bytes([1, 1]) + header(0, B_HELLO, 0) +
      header(1, B_HELLO, 1) + header(0, B_ALLGATHER, 0, b"xy") +
      bytes([16 + 1]) + bytes([24, 1]) + header(0, B_ALLGATHER, 0, b"xy"))
write("boot_server", "length-mismatch", bytes([1, 1]) +
      header(0, B_HELLO, 0) + header(1, B_HELLO, 1) +
      header(0, B_ALLGATHER, 0, b"xy") + header(1, B_ALLGATHER, 1, b"xyz"))
write("boot_server", "duplicate-rank", bytes([1, 2]) +
      header(0, B_HELLO, 0) + header(1, B_HELLO, 0) + header(2, B_HELLO, 1))
write("boot_server", "before-hello", bytes([0, 0]) +
      header(0, B_ALLGATHER, 0, b"ab"))
write("boot_server", "raw-junk", bytes([3, 5, 0, 0]) + bytes(range(32)))
write("boot_server", "huge-allgather", bytes([0, 0]) +
      header(0, B_HELLO, 0) + bytes([0, 32]) +
      struct.pack("<IIIIiIQ", 0x76627431, B_ALLGATHER, 0, 1, 0, 0, 1 << 40))
write("boot_server", "partial-then-bye", bytes([1, 1]) +
      header(0, B_HELLO, 0) + header(1, B_HELLO, 1) +
      bytes([0, 40]) + struct.pack("<IIIIiIQ", 0x76627431, B_ALLGATHER, 0,
                                  2, 0, 0, 64) + bytes(8) +
      header(1, B_BYE, 1))


# ---- boot_client: size - 1, bytes per rank, then the server's replies
def reply(op, length, payload=b"", rank=0, status=0):
    return struct.pack("<IIIIiIQ", 0x76627431, op, rank, 0, status, 0,
                       length) + payload


write("boot_client", "one-round", bytes([1, 4]) +
      reply(B_REPLY, 8, b"abcdefgh"))
write("boot_client", "three-rounds", bytes([0, 2]) +
      reply(B_REPLY, 2, b"ab") * 3)
write("boot_client", "barrier", bytes([3, 0]) + reply(B_REPLY, 0) * 2)
write("boot_client", "fail", bytes([1, 4]) + reply(B_FAIL, 0, rank=1,
                                                   status=-5))
write("boot_client", "fail-positive-status", bytes([1, 4]) +
      reply(B_FAIL, 0, rank=7, status=12345))
write("boot_client", "length-wrong", bytes([1, 4]) + reply(B_REPLY, 9))
write("boot_client", "short-payload", bytes([1, 4]) +
      reply(B_REPLY, 8, b"abc"))
write("boot_client", "short-header", bytes([1, 4]) + reply(B_REPLY, 8)[:10])
write("boot_client", "ok-then-fail", bytes([0, 1]) + reply(B_REPLY, 1, b"x")
      + reply(B_FAIL, 0, status=-2))

# ---- shm: ring size selector, start slot, then records (control, am id,
# flags unless padding, length lo, hi, source, payload)
def record(am_id, payload, length=None, pad=False, flags=0, src=1,
           skip=None):
    length = len(payload) if length is None else length
    control = (1 if pad else 0) | (2 if skip is not None else 0)
    out = bytes([control, am_id])
    if not pad:
        out += bytes([flags])
    out += struct.pack("<HB", length, src)
    if skip is not None:
        out += bytes([skip])
    return out + payload


write("shm", "two-records", bytes([0, 0]) + record(0, bytes(8)) +
      record(1, bytes(range(100))))
write("shm", "wrap", bytes([0, 62]) + record(2, bytes(range(200))))
write("shm", "pad-then-record", bytes([1, 3]) +
      record(0, b"", length=100, pad=True) + record(3, b"hello"))
write("shm", "no-handler", bytes([0, 0]) + record(5, b"ab") +
      record(200, b"cd"))
write("shm", "longest", bytes([4, 1]) + record(1, bytes(64), length=65535))
write("shm", "too-long-clamped", bytes([0, 0]) +
      record(1, bytes(64), length=65535))
write("shm", "span-lies", bytes([0, 10]) +
      record(1, bytes(16), length=300, skip=1) + record(2, b"xyz"))

# ---- ud_rel: steps (control % 4: 0 datagram, 1 send, 2 time, 3 flush;
# datagram: bit 2 names the known peer, bit 3 adds 256 to the length)
DATA, FIRST, LAST, ACK_REQ, OVERFLOW, BUSY = (1, 2, 4, 8, 16, 32)


def datagram(psn, ack_psn, flags, am_id=3, payload=b"", sack=0,
             src=0x1000, known=True):
    body = struct.pack("<QHHQBB", src, psn, ack_psn, sack, flags, am_id) + \
        payload
    control = 0 | (4 if known else 0) | (8 if len(body) >= 256 else 0)
    return bytes([control, len(body) % 256]) + body


whole = DATA | FIRST | LAST
write("ud_rel", "one-message", datagram(0, 0, whole, payload=b"x" * 10))
write("ud_rel", "fragments", datagram(0, 0, DATA | FIRST, payload=bytes(200))
      + datagram(1, 0, DATA, payload=bytes(200)) +
      datagram(2, 0, DATA | LAST, payload=bytes(50)))
write("ud_rel", "out-of-order", datagram(1, 0, whole, payload=b"b") +
      datagram(2, 0, whole, payload=b"c") + datagram(0, 0, whole,
                                                     payload=b"a"))
write("ud_rel", "duplicate", datagram(0, 0, whole | ACK_REQ) * 2)
write("ud_rel", "send-and-ack", bytes([1, 3, 4, 1, 7, 20]) +
      datagram(0, 2, 0) + bytes([3]))
write("ud_rel", "sack", bytes([1, 3, 1, 1, 3, 1, 1, 3, 1]) +
      datagram(0, 0, 0, sack=0b10) + bytes([2, 50, 3]))
write("ud_rel", "timeout", bytes([1, 3, 8]) + bytes([2, 255]) * 8)
write("ud_rel", "unknown-peer", datagram(0, 0, whole, src=0x77,
                                         known=False, payload=b"hi"))
write("ud_rel", "busy", datagram(0, 0, BUSY, src=0x78, known=False))
write("ud_rel", "overflow", bytes([1, 3, 2]) +
      datagram(0, 0, OVERFLOW, sack=1 << 63))
write("ud_rel", "short", bytes([4, 10]) + bytes(10))
write("ud_rel", "too-long", datagram(0, 0, whole, payload=bytes(300)))

# ---- config: the text of a VERVE_* variable
for i, text in enumerate([
        "0", "1", "64", "256", "65471", "18446744073709551615",
        "18446744073709551616", "-1", "0x10", "4k", "1m", "2g", "1.5k",
        "y", "n", "yes", "no", "on", "off", "1.5", "1e-3", "inf", "nan",
        "10ms", "1s", "2us", "100ns", "1.5m", "warn", "fatal", "WARN",
        "", " 1", "1 ", "auto", "tcp,self", "a" * 300]):
    write("config", "%02d" % i, text.encode())

# ---- boot_kvs (test/unit/boot/test_boot_kvs_fuzz.c): packed entries,
# u32 key length, u64 value length, key, value; the target also builds
# entries from the same bytes
write("boot_kvs", "one", struct.pack("<IQ", 3, 2) + b"keyva")
write("boot_kvs", "two", struct.pack("<IQ", 1, 0) + b"a" +
      struct.pack("<IQ", 2, 3) + b"bcdef")
write("boot_kvs", "huge-value", struct.pack("<IQ", 3, 1 << 62) + b"key")
write("boot_kvs", "huge-key", struct.pack("<IQ", 0xffffffff, 1) + b"k")

# ---- rkey: byte 0 picks the parser (0: XOR onto a valid shm key, so
# zeros are the valid key; 1: verbs key; 2: verbs addresses; 3: tcp)
write("rkey", "shm-valid", bytes([0]) + bytes(120))
write("rkey", "shm-short", bytes([0]) + bytes(20))
write("rkey", "shm-long", bytes([0]) + bytes(200))
write("rkey", "shm-flip-part", bytes([0]) + bytes(8) + b"\xff" + bytes(100))
write("rkey", "verbs", bytes([1]) + struct.pack("<II", 0x6b726276, 7))
write("rkey", "verbs-addr", bytes([2]) + struct.pack("<IBBHII", 0x31637276,
                                                     1, 3, 1, 5, 0) +
      bytes(16) + struct.pack("<Q", 9))
write("rkey", "tcp-addr", bytes([3]) + struct.pack("<IIHHIQ", 0x74637031,
                                                   0x0100007f, 0x1234, 0, 0,
                                                   9))

# ---- wire: the first byte picks the parser (protocol handlers by id,
# then a packed worker address, then a packed rkey)
for kind in range(14):
    write("wire", "kind-%02d" % kind, bytes([kind]) + bytes(48))
