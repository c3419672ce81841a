"""Prometheus metrics (metrics_listen) against the real ferryd: the scrape
parses as text exposition, its counters are ctl stats' and move with logins
and transfers, other paths and methods get 404/405/400, and the responder
is bounded (connections at once, request size, a deadline that cuts a
slow-loris client)."""

import re
import socket
import time

import pytest

import conftest
from ctl_util import closed_within, ctl_json

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (\S+)$')


@pytest.fixture(scope="module")
def msrv(tmp_path_factory):
    srv = conftest.start_with_settings(tmp_path_factory.mktemp("metrics"), 'metrics_listen = "127.0.0.1:0"')
    deadline = time.monotonic() + 10
    port = None
    while port is None and time.monotonic() < deadline:
        m = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", srv.log_path.read_text())
        port = int(m.group(1)) if m else None
        time.sleep(0.05)
    assert port, "no 'metrics on' line in the log"
    srv.metrics_port = port
    yield srv
    conftest._stop_server(srv)


def http(port, raw, timeout=5):
    """Sends `raw`, returns (status, headers text, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(raw)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, head.decode(), body.decode()


def scrape(port):
    status, head, body = http(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 200, (status, body)
    assert "text/plain; version=0.0.4" in head
    values = {}
    for line in body.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-z_]+ .+$", line), line
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        values[m.group(1) + (m.group(2) or "")] = float(m.group(4))
    return values


def test_scrape_parses_and_counters_move(msrv):
    before = scrape(msrv.metrics_port)
    assert before['ferry_sessions{protocol="ferry"}'] == 0
    c = msrv.login("demo")
    data = b"m" * 100_000
    (msrv.home("demo") / "m.bin").write_bytes(data)
    assert c.get("m.bin")[1] == data
    assert c.put_file("up.bin", data)[1]["status"] == 201
    bad = msrv.connect(source_ip="127.0.0.11")
    bad.hello()
    assert bad.auth("demo", "nope")["status"] == 401
    bad.close()
    after = scrape(msrv.metrics_port)
    assert after['ferry_sessions{protocol="ferry"}'] >= 1
    assert after['ferry_logins_total{result="ok"}'] == before['ferry_logins_total{result="ok"}'] + 1
    assert after['ferry_logins_total{result="failed"}'] == before['ferry_logins_total{result="failed"}'] + 1
    assert after['ferry_bytes_total{direction="out"}'] >= before['ferry_bytes_total{direction="out"}'] + len(data)
    assert after['ferry_bytes_total{direction="in"}'] >= before['ferry_bytes_total{direction="in"}'] + len(data)
    for d in ("in", "out"):
        key = f'ferry_transfers_total{{direction="{d}",result="complete"}}'
        assert after[key] == before[key] + 1, key
    assert after['ferry_transfer_duration_seconds_count'] == before['ferry_transfer_duration_seconds_count'] + 2
    assert after['ferry_transfer_duration_seconds_bucket{le="+Inf"}'] == after['ferry_transfer_duration_seconds_count']
    assert "ferry_exec_runs_total" in after
    # The same counters as ctl stats.
    stats = ctl_json(msrv.root, "stats")
    assert stats["logins"]["ok"] == after['ferry_logins_total{result="ok"}']
    assert stats["bytes"]["out"] == after['ferry_bytes_total{direction="out"}']
    c.close()


def test_other_requests(msrv):
    p = msrv.metrics_port
    assert http(p, b"GET / HTTP/1.1\r\n\r\n")[0] == 404
    status, head, _ = http(p, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
    assert status == 405 and "Allow: GET, HEAD" in head
    assert http(p, b"hello there\r\n\r\n")[0] == 400
    assert http(p, b"GET /metrics HTTP/9\r\n\r\n")[0] == 400
    status, _, body = http(p, b"HEAD /metrics HTTP/1.1\r\n\r\n")
    assert status == 200 and body == ""


def test_huge_request_is_refused(msrv):
    status, _, _ = http(msrv.metrics_port, b"GET /metrics HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 10000 + b"\r\n")
    assert status == 431
    scrape(msrv.metrics_port)


def test_slow_loris_is_cut_and_connections_are_bounded(msrv):
    p = msrv.metrics_port
    slow = []
    try:
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", p), timeout=10)
            s.sendall(b"GET /met")  # and nothing more
            slow.append(s)
        time.sleep(0.2)
        # The four slots are taken: a fifth connection is closed unanswered.
        fifth = socket.create_connection(("127.0.0.1", p), timeout=5)
        assert closed_within(fifth, 3)
        fifth.close()
        # Each slow client is cut at the request deadline (5 s), however it trickles.
        t0 = time.monotonic()
        for s in slow:
            try:
                s.sendall(b"r")
            except OSError:
                pass
            assert closed_within(s, 10), "a slow-loris connection was kept"
        assert time.monotonic() - t0 < 9
    finally:
        for s in slow:
            s.close()
    scrape(p)  # and the responder serves again
