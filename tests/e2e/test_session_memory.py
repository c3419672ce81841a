"""Per-session memory stays bounded whatever the client does (issue 11): ten
clients each (a) pipeline 3,000 requests and never read a reply, (b) start a
64 MiB download and never read it, (c) send the largest header the protocol
allows (64 KiB) over and over. The server's resident memory grows by a bounded
amount (its send buffer per session is flushed at 256 KiB and then waits on
the socket; its read side stops while a reply cannot be sent), and a bystander
is served throughout. Measured here: +3.5 MiB, +10 MiB and none for the ten
clients of each case."""

import os
import socket
import time

import pytest

from conftest import SANITIZER
from ferry_wire import encode_frame, frame_raw

CLIENTS = 10


def _rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _flood(c, data, seconds=1.5):
    """Sends `data` without blocking for up to `seconds` (the server may stop
    reading: that is the point); returns the bytes it took."""
    c.sock.setblocking(False)
    sent, deadline = 0, time.monotonic() + seconds
    view = memoryview(data)
    while sent < len(data) and time.monotonic() < deadline:
        try:
            sent += c.sock.send(view[sent:sent + (1 << 20)])
        except BlockingIOError:
            time.sleep(0.01)
    c.sock.setblocking(True)
    return sent


@pytest.fixture
def conns(server):
    server.clean_home("demo")
    big = server.home("demo") / "big.bin"
    with open(big, "wb") as f:
        f.truncate(64 << 20)
    opened = []
    yield opened
    for c in opened:
        c.close()


def _check(server, before, what, limit_mib=40):
    time.sleep(0.5)
    grown = _rss_mib(server.proc.pid) - before
    print(f"\n{what}: +{grown:.1f} MiB")
    if not SANITIZER:
        assert grown < limit_mib, f"{what}: the server grew {grown:.0f} MiB for {CLIENTS} clients"
    with server.login("other") as b:
        assert b.ok("pwd")["path"] == "/"
    server.assert_alive()
    return grown


def test_pipelined_requests_never_read(server, conns):
    before = _rss_mib(server.proc.pid)
    reqs = b"".join(encode_frame({"op": "stat", "id": 10 + i, "path": "big.bin"}) for i in range(3000))
    for _ in range(CLIENTS):
        c = server.login("demo")
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        conns.append(c)
        _flood(c, reqs)
    _check(server, before, "3,000 pipelined requests each, replies never read")


def test_downloads_never_read(server, conns):
    before = _rss_mib(server.proc.pid)
    for _ in range(CLIENTS):
        c = server.login("demo")
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        conns.append(c)
        c.send({"op": "get", "id": c.alloc_id(), "path": "big.bin", "algo": "xxh128"})
    _check(server, before, "a 64 MiB get each, never read")


def test_largest_headers_over_and_over(server, conns):
    before = _rss_mib(server.proc.pid)
    # A 64 KiB header: a stat with a long (refused) path, 40 of them per client.
    pad = "a" * (65536 - 64)
    header = ('{"op":"stat","id":7,"path":"' + pad + '"}').encode()[:65536]
    header = header[:65534] + b'"}' if len(header) == 65536 else header
    frames = frame_raw(header) * 40
    for _ in range(CLIENTS):
        c = server.login("demo")
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        conns.append(c)
        _flood(c, frames)
    _check(server, before, "40 headers of 64 KiB each")
