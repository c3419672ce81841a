"""Quota (reserved, not guessed) and bandwidth limits on transfers, over the
raw protocol. quser has a 100 MiB quota; slow has a 16 MiB/s rate limit (a
token bucket shared by all of the user's sessions, burst = 1 s of rate)."""

import os
import signal
import threading
import time

from conftest import must_ferryd
from ferry_wire import check_error, digest_of
from quota_util import walk
from transfer_util import MiB, part_path, put_open_when_free, put_open_when_released, wait_for

LIMIT = 100 * MiB
# Every name in a home costs its blocks, at least one (src/vfs/disk_charge.hpp).
BLOCK = 4096


def _quota(conn):
    q = conn.ok("quota")
    assert isinstance(q.get("used"), int) and isinstance(q.get("limit"), int), q
    return q


def test_put_over_quota_refused_before_data(server):
    home = server.clean_home("quser")
    with server.login("quser") as c:
        assert _quota(c)["limit"] == LIMIT
        r = c.put_open("big.bin", 150 * MiB)
        check_error(r, 413, "quota_exceeded", "put of 150 MiB with a 100 MiB quota")
        # exactly what fits is fine (the part file's first block is one of
        # the file's own); one byte more is not
        check_error(c.put_open("big.bin", LIMIT + 1), 413, "quota_exceeded", "limit + 1")
        assert os.listdir(home) == [], f"a refused put left files: {os.listdir(home)}"
        rid, r = put_open_when_free(c, "fits.bin", LIMIT)
        assert r["status"] == 200 and r["offset"] == 0, r
    # the connection above closed with the upload open: its reservation is returned
    with server.login("quser") as c:
        # (the part fits.bin left behind, kept for a resume, still costs its block)
        rid, r = put_open_when_released(c, "fits2.bin", LIMIT - 2 * BLOCK)
        assert r["status"] == 200, f"reservation of a closed connection was not returned: {r!r}"
    server.clean_home("quser")


def test_reservation_across_two_connections_and_rm(server):
    home = server.clean_home("quser")
    data = os.urandom(60 * MiB)
    a = server.login("quser")
    b = server.login("quser")
    try:
        assert _quota(a)["used"] == 0
        rid, r = put_open_when_free(a, "q1.bin", len(data))
        assert r["status"] == 200 and r["offset"] == 0, r
        # a's 60 MiB are reserved: b cannot start another 60 MiB, before any data
        check_error(b.put_open("q2.bin", 60 * MiB), 413, "quota_exceeded",
                    "second 60 MiB upload while the first holds its reservation")
        assert not (home / "q2.bin").exists() and not part_path(home, "q2.bin").exists()
        # while a's data arrives, b still cannot fit 60 MiB
        a.put_data(rid, data[:20 * MiB])
        check_error(b.put_open("q2.bin", 60 * MiB), 413, "quota_exceeded",
                    "second upload mid-stream of the first")
        a.put_data(rid, data[20 * MiB:])
        c = a.put_commit(rid, "xxh128", digest_of("xxh128", data))
        assert c["status"] == 201, c
        assert (home / "q1.bin").read_bytes() == data
        q = _quota(b)
        assert q["used"] == walk(home)[0] and q["limit"] == LIMIT, q
        assert 60 * MiB <= q["used"] <= 60 * MiB + 2 * BLOCK, q
        check_error(b.put_open("q2.bin", 60 * MiB), 413, "quota_exceeded",
                    "60 MiB more with 60 MiB used")
        # replacing q1 only counts the difference: 60 + 90 - 60 <= 100
        rid2, r = put_open_when_free(b, "q1.bin", 90 * MiB)
        assert r["status"] == 200, f"replacing upload refused: {r!r}"
    finally:
        b.close()
    try:
        a.ok("rm", path="q1.bin")
        assert not (home / "q1.bin").exists()
        wait_for(lambda: _quota(a)["used"] == walk(home)[0], 5, "quota used to match the disk")
        assert _quota(a)["used"] < MiB, "rm did not free the usage"
        rid, r = put_open_when_released(a, "q2.bin", 60 * MiB)
        assert r["status"] == 200, f"after rm, 60 MiB must fit again: {r!r}"
    finally:
        a.close()
    server.clean_home("quser")


def test_part_files_count_towards_usage(server):
    home = server.clean_home("quser")
    data = os.urandom(30 * MiB)
    c = server.login("quser")
    rid, r = put_open_when_free(c, "p.bin", len(data))
    assert r["status"] == 200, r
    c.put_data(rid, data[:20 * MiB])
    c.close()
    part = part_path(home, "p.bin")
    wait_for(lambda: part.exists() and part.stat().st_size == 20 * MiB, 5, "part file")
    with server.login("quser") as c:
        wait_for(lambda: _quota(c)["used"] == walk(home)[0] == 20 * MiB, 5, "quota to count the part file")
        # 20 MiB of part file + 81 MiB do not fit
        check_error(c.put_open("other.bin", 81 * MiB), 413, "quota_exceeded",
                    "put that only fits if part files were free")
        # resuming the part only needs the remaining 10 MiB
        rid, r = put_open_when_free(c, "p.bin", len(data))
        assert r["status"] == 200 and r["offset"] == 20 * MiB, r
        c.put_data(rid, data[20 * MiB:])
        assert c.put_commit(rid, "xxh128", digest_of("xxh128", data))["status"] == 201
        assert (home / "p.bin").read_bytes() == data
        assert _quota(c)["used"] == walk(home)[0]
    server.clean_home("quser")


def _set_quota_and_reload(server, quota, expect_limit):
    must_ferryd("user", "set", "quser", "--root", server.root, "--quota", quota)
    server.proc.send_signal(signal.SIGHUP)
    with server.login("quser") as c:
        wait_for(lambda: _quota(c)["limit"] == expect_limit, 5,
                 f"quota limit {expect_limit} after SIGHUP")


def test_quota_lowered_mid_stream(server):
    home = server.clean_home("quser")
    data = os.urandom(30 * MiB)
    c = server.login("quser")
    try:
        rid, r = put_open_when_free(c, "low.bin", len(data))
        assert r["status"] == 200, r
        c.put_data(rid, data[:10 * MiB])
        _set_quota_and_reload(server, "20MiB", 20 * MiB)
        try:
            c.put_data(rid, data[10 * MiB:])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may stop reading once the upload is refused
        c.send({"op": "commit", "id": rid, "algo": "xxh128",
                "digest": digest_of("xxh128", data)})
        reply = c.recv_header()
        assert reply.get("id") == rid, reply
        check_error(reply, 413, "quota_exceeded", "upload past a quota lowered mid-stream")
        assert not (home / "low.bin").exists()
    finally:
        c.close()
        _set_quota_and_reload(server, "100MiB", LIMIT)
    server.clean_home("quser")


def test_rate_limit_one_session(server):
    home = server.clean_home("slow")
    data = os.urandom(32 * MiB)
    with server.login("slow") as c:
        c.sock.settimeout(30)
        t0 = time.monotonic()
        r, cm = c.put_file("r.bin", data)
        put_s = time.monotonic() - t0
        assert cm["status"] == 201, cm
        assert (home / "r.bin").read_bytes() == data
        t0 = time.monotonic()
        reply, body, trailer = c.get("r.bin")
        get_s = time.monotonic() - t0
        assert body == data
    # 32 MiB at 16 MiB/s with a 16 MiB burst: at least ~1 s each way
    assert put_s >= 0.9, f"put of 32 MiB at 16 MiB/s took only {put_s:.2f} s"
    assert get_s >= 0.9, f"get of 32 MiB at 16 MiB/s took only {get_s:.2f} s"
    assert put_s < 8 and get_s < 8, (put_s, get_s)
    server.clean_home("slow")


def test_rate_limit_shared_by_sessions(server):
    home = server.clean_home("slow")
    files = {f"s{i}.bin": os.urandom(16 * MiB) for i in range(3)}
    for n, d in files.items():
        (home / n).write_bytes(d)
    time.sleep(1.1)  # let the bucket refill after the previous test
    results = {}

    def fetch(name):
        with server.login("slow") as c:
            c.sock.settimeout(30)
            results[name] = c.get(name)[1]

    ts = [threading.Thread(target=fetch, args=(n,)) for n in files]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    elapsed = time.monotonic() - t0
    for n, d in files.items():
        assert results.get(n) == d, f"{n} differs"
    # 48 MiB in total from one 16 MiB/s bucket (16 MiB burst): >= ~2 s
    assert elapsed >= 1.8, f"three sessions of one user got 48 MiB in {elapsed:.2f} s"
    server.clean_home("slow")
