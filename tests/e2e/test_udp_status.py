"""The UDP status datagram on the native port (docs/protocol.md, "UDP status")
and `ferry ping`: real datagrams against a real ferryd. Each test sends from
its own 127.0.0.x source address, so the per-source rate limit of one test
never touches another."""

import os
import select
import socket
import struct
import subprocess
import time

import pytest

from conftest import FERRY

MAGIC = b"FRYS"
SIZE = 32
# The server's limits (src/server/status_limiter.hpp): burst and rate per source.
BURST = 20
RATE = 10


def request(nonce, version=1, kind=1, magic=MAGIC, size=SIZE):
    d = magic + bytes([version, kind, 0, 0]) + struct.pack(">Q", nonce)
    d += bytes(max(0, size - len(d)))
    return d[:size]


def parse_reply(d):
    assert len(d) == SIZE, f"reply of {len(d)} bytes"
    (magic, version, kind, flags, nonce, major, minor, patch, uptime, sessions,
     max_sessions) = struct.unpack(">4sBBHQBBHIII", d)
    assert (magic, version, kind) == (MAGIC, 1, 2), d
    return dict(flags=flags, nonce=nonce, version=(major, minor, patch), uptime=uptime,
                sessions=sessions, max_sessions=max_sessions)


def udp_from(source):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    return s


def ask(server, payload, source, timeout=1.0):
    """Sends one datagram from `source`; the reply bytes, or None."""
    with udp_from(source) as s:
        s.sendto(payload, ("127.0.0.1", server.port))
        s.settimeout(timeout)
        try:
            data, _ = s.recvfrom(4096)
        except socket.timeout:
            return None
    assert len(data) <= len(payload), f"reply of {len(data)} bytes to a {len(payload)}-byte request"
    return data


def status(server, source, nonce=1):
    data = ask(server, request(nonce), source)
    assert data is not None, f"no status reply; log:\n{server.log_tail()}"
    r = parse_reply(data)
    assert r["nonce"] == nonce
    return r


def ping(server, *args, timeout=30):
    return subprocess.run([FERRY, "ping", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def test_reply_fields(server):
    r = status(server, "127.0.0.2", nonce=0xFEDCBA9876543210)
    assert r["version"] == (0, 1, 0)
    assert 0 <= r["uptime"] < 600
    assert r["max_sessions"] > 0
    assert r["flags"] == 0, "idle server reported busy or draining"


def test_sessions_count_follows_logins(server):
    before = status(server, "127.0.0.3")["sessions"]
    c = server.login("demo")
    try:
        assert status(server, "127.0.0.3", 2)["sessions"] == before + 1
        c2 = server.login("other")
        try:
            assert status(server, "127.0.0.3", 3)["sessions"] == before + 2
        finally:
            c2.close()
    finally:
        c.close()
    deadline = time.monotonic() + 5
    while status(server, "127.0.0.3", 4)["sessions"] != before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status(server, "127.0.0.3", 5)["sessions"] == before


@pytest.mark.parametrize("name,payload", [
    ("empty", b""),
    ("short", request(7)[:SIZE - 1]),
    ("long", request(7) + b"\0"),
    ("much longer", request(7, size=1400)),
    ("bad magic", request(7, magic=b"FRYX")),
    ("bad version", request(7, version=2)),
    ("version zero", request(7, version=0)),
    ("a reply", request(7, kind=2)),
    ("garbage", os.urandom(SIZE)),
])
def test_malformed_gets_no_reply(server, name, payload):
    assert ask(server, payload, "127.0.0.4", timeout=0.3) is None, f"{name} datagram was answered"
    server.assert_alive()
    assert status(server, "127.0.0.4", 8)["nonce"] == 8, "a good request after it was not answered"


def test_flood_from_one_source_is_rate_limited(server):
    flood, other = "127.0.0.50", "127.0.0.51"
    replies = []
    with udp_from(flood) as s:
        s.setblocking(False)
        start = time.monotonic()
        sent = 0
        # Bounded: 5,000 datagrams, and at most 3 s of sending.
        while sent < 5000 and time.monotonic() - start < 3:
            try:
                s.sendto(request(sent), ("127.0.0.1", server.port))
                sent += 1
            except BlockingIOError:
                select.select([], [s], [], 0.01)
            while True:  # collect replies as they come, so none are lost to our buffer
                try:
                    replies.append(s.recv(4096))
                except BlockingIOError:
                    break
        # Another source is still answered. (The kernel may drop its first
        # request while the flood fills the server's queue: that is not the
        # rate limiter's doing, so it may ask a few times, as a client would.)
        answered = None
        for attempt in range(5):
            data = ask(server, request(99 + attempt), other, timeout=0.5)
            if data is not None:
                answered = parse_reply(data)
                break
        assert answered is not None, f"another source was not answered after a flood; log:\n{server.log_tail()}"
        assert answered["nonce"] == 99 + attempt
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            if select.select([s], [], [], 0.1)[0]:
                try:
                    replies.append(s.recv(4096))
                except BlockingIOError:
                    pass
        elapsed = time.monotonic() - start
    assert sent == 5000 or elapsed >= 3
    assert all(len(r) <= SIZE for r in replies), "a reply larger than its request"
    for r in replies:
        parse_reply(r)
    allowed = BURST + RATE * elapsed + 2
    assert 1 <= len(replies) <= allowed, (
        f"{len(replies)} replies to {sent} requests in {elapsed:.2f} s (limit {allowed:.0f})")
    server.assert_alive()


def test_ferry_ping(server):
    r = ping(server, "-c", "3", "-i", "0.2", f"127.0.0.1:{server.port}")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [l for l in r.stdout.splitlines() if " bytes from " in l]
    assert len(lines) == 3, r.stdout
    for seq, line in enumerate(lines, 1):
        assert line.startswith(f"32 bytes from 127.0.0.1:{server.port}: seq={seq} time="), line
        assert " version=0.1.0 " in line and " sessions=" in line and line.endswith(" load=ok"), line
    assert "3 sent, 3 received, 0% loss" in r.stdout, r.stdout
    assert "rtt min/avg/max = " in r.stdout, r.stdout


def test_ferry_ping_port_option(server):
    r = ping(server, "-P", str(server.port), "-c", "1", "localhost")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 sent, 1 received, 0% loss" in r.stdout, r.stdout


def test_ferry_ping_no_server():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Nothing listens there now: no reply (an ICMP port unreachable at most).
    r = subprocess.run([FERRY, "ping", "-c", "2", "-i", "0.2", "-W", "0.3", f"127.0.0.1:{port}"],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "2 sent, 0 received, 100% loss" in r.stdout, r.stdout


@pytest.mark.parametrize("args", [["-i", "0.1", "127.0.0.1"], ["-c", "x", "127.0.0.1"], [], ["-W", "0", "127.0.0.1"]])
def test_ferry_ping_usage_errors(args):
    r = subprocess.run([FERRY, "ping", *args], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.startswith("ferry: "), r.stderr


def test_ferry_ping_help():
    r = subprocess.run([FERRY, "ping", "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0
    assert "--count" in r.stdout and "--interval" in r.stdout and "Examples:" in r.stdout
