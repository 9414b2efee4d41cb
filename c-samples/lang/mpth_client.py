#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mpth_client.py: an MPTCP client in Python that speaks the harness's
protocol (c-samples/proto.h): it uploads BYTES of the pattern for SEED to
mptcp-server, which verifies every byte, and reports how MPTCP went.

Usage: mpth_client.py HOST PORT BYTES [SEED [CORRUPT_AT]]
       mpth_client.py --emit BYTES [SEED]   header + pattern to stdout

Opening an MPTCP socket is one word: IPPROTO_MPTCP (Python >= 3.10; 262
before) instead of 0. When the kernel cannot, socket() fails with
ENOPROTOOPT (net.mptcp.enabled=0), EPROTONOSUPPORT (no MPTCP) or EINVAL
(Linux < 5.6), and we fall back to TCP ourselves.

Prints one JSON line. Exit: 0 ok, 1 failure, 2 usage, 3 connect error.
"""
import errno
import json
import socket
import struct
import sys

IPPROTO_MPTCP = getattr(socket, "IPPROTO_MPTCP", 262)
SOL_MPTCP = 284
MPTCP_INFO = 1
MPTCP_INFO_FLAG_FALLBACK = 1

PAT_PERIOD = 65521
PAT_SPAN = 256 * 1024
NO_MPTCP = {
    errno.ENOPROTOOPT: "ENOPROTOOPT: MPTCP disabled (net.mptcp.enabled=0)",
    errno.EPROTONOSUPPORT: "EPROTONOSUPPORT: kernel without MPTCP",
    errno.EINVAL: "EINVAL: kernel too old for MPTCP (< 5.6)",
}


def pattern(seed):
    """The pattern table, period PAT_PERIOD, extended by PAT_SPAN bytes
    so that any PAT_SPAN bytes from any offset are one slice."""
    st = ((seed ^ 0x6D707468) * 2654435761) & 0xFFFFFFFF or 1
    tab = bytearray(PAT_PERIOD)

    def step(x):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        return x

    for _ in range(8):
        st = step(st)
    for i in range(PAT_PERIOD):
        st = step(st)
        tab[i] = st >> 24
    whole = tab * (PAT_SPAN // PAT_PERIOD + 2)
    return bytes(whole[: PAT_PERIOD + PAT_SPAN])


def header(seed, length):
    # magic, version 1, mode upload, flags 0 (verify), seed, duration 0, length
    return b"MPTH" + struct.pack("!BBHIIQ", 1, 0, 0, seed, 0, length)


def chunks(seed, length, corrupt_at=-1):
    tab = pattern(seed)
    off = 0
    while off < length:
        n = min(length - off, PAT_SPAN)
        pos = off % PAT_PERIOD
        buf = tab[pos : pos + n]
        if off <= corrupt_at < off + n:
            b = bytearray(buf)
            b[corrupt_at - off] ^= 0xFF
            buf = bytes(b)
        yield buf
        off += n


def mptcp_subflows(sock):
    """Subflows (initial included) by MPTCP_INFO, or 0 when the
    connection is plain TCP (the option fails, or flags say fallback)."""
    try:
        info = sock.getsockopt(SOL_MPTCP, MPTCP_INFO, 16)
    except OSError:
        return 0
    if len(info) < 12:
        return 0
    flags = struct.unpack_from("=I", info, 8)[0]
    if flags & MPTCP_INFO_FLAG_FALLBACK:
        return 0
    return info[0] + 1


def main(argv):
    if len(argv) >= 3 and argv[1] == "--emit":
        length, seed = int(argv[2]), int(argv[3]) if len(argv) > 3 else 1
        out = sys.stdout.buffer
        out.write(header(seed, length))
        for buf in chunks(seed, length):
            out.write(buf)
        out.flush()
        return 0
    if len(argv) not in (4, 5, 6):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    host, port, length = argv[1], int(argv[2]), int(argv[3])
    seed = int(argv[4]) if len(argv) > 4 else 1
    corrupt_at = int(argv[5]) if len(argv) > 5 else -1
    res = {"lang": "python", "version": sys.version.split()[0],
           "protocol": "tcp", "fallback_reason": None, "max_subflows": 0,
           "bytes_sent": 0, "status": None}

    ai = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    try:
        sock = socket.socket(ai[0], socket.SOCK_STREAM, IPPROTO_MPTCP)
        asked_mptcp = True
    except OSError as e:
        if e.errno not in NO_MPTCP:
            raise
        res["fallback_reason"] = NO_MPTCP[e.errno]
        sock = socket.socket(ai[0], socket.SOCK_STREAM, socket.IPPROTO_TCP)
        asked_mptcp = False
    try:
        sock.connect(ai[4])
    except OSError as e:
        res["status"] = "connect_error: " + e.strerror
        print(json.dumps(res))
        return 3

    sock.sendall(header(seed, length))
    best = mptcp_subflows(sock)
    for buf in chunks(seed, length, corrupt_at):
        sock.sendall(buf)
        res["bytes_sent"] += len(buf)
        best = max(best, mptcp_subflows(sock))
    best = max(best, mptcp_subflows(sock))
    if best:
        res["protocol"] = "mptcp"
    elif asked_mptcp:
        res["fallback_reason"] = "peer or path does not do MPTCP (MPTCP_INFO)"
    res["max_subflows"] = best or 1
    sock.shutdown(socket.SHUT_WR)

    reply = b""
    while len(reply) < 24:
        got = sock.recv(24 - len(reply))
        if not got:
            break
        reply += got
    sock.close()
    if len(reply) == 24 and reply[:4] == b"MPTR":
        status, nbytes, mism = struct.unpack("!5xB2xQQ", reply)
        res["status"] = ["ok", "mismatch", "truncated", "error"][min(status, 3)]
        res["server_bytes"] = nbytes
        if mism != 2**64 - 1:
            res["server_mismatch_offset"] = mism
    else:
        res["status"] = "no result from the server"
    print(json.dumps(res))
    return 0 if res["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
