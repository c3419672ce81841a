"""Many concurrent sessions (docs/architecture.md): 200 sessions of one
user (no session limit) are all open at the same time and each runs a
navigation script without a single error."""

import os
import threading
import time

from ferry_wire import Conn, check_error, encode_frame

SESSIONS = 200


def _session_script(server, i, barrier_in, barrier_out, errors):
    c = None
    try:
        # Spread over 10 loopback source addresses (20 each): ferryd's
        # per-address limits (max_sessions_per_ip = 128, and 32 connections
        # not yet logged in) are separate features; this test is about 200
        # concurrent sessions of one user.
        c = Conn(server.port, timeout=20, source_ip=f"127.0.0.{100 + i % 10}")
        c.login("many", server.password("many"))
        barrier_in.wait(timeout=40)  # all 200 logged in at once
        d = f"s{i:03d}"
        r = c.ok("mkdir", path=d, parents=False)
        assert r["path"] == f"/{d}", r
        assert c.ok("cd", path=d)["path"] == f"/{d}"
        assert c.ok("ls")["entries"] == []
        assert c.ok("pwd")["path"] == f"/{d}"
        c.ok("mkdir", path="x/y", parents=True)
        assert [e["name"] for e in c.ok("ls")["entries"]] == ["x"]
        e = c.ok("stat", path=f"/{d}/x/y")["entry"]
        assert e["type"] == "dir" and e["name"] == "y", e
        check_error(c.req("rmdir", path="x"), 409, "not_empty", "rmdir non-empty")
        # a pipelined burst
        c.send_raw(b"".join(encode_frame({"op": "pwd", "id": 10_000 + k}) for k in range(10)))
        for k in range(10):
            rep = c.recv_header()
            assert rep["id"] == 10_000 + k and rep["path"] == f"/{d}", rep
        c.ok("rmdir", path="x/y")
        c.ok("rmdir", path="x")
        assert c.ok("cd", path="..")["path"] == "/"
        barrier_out.wait(timeout=40)  # still all open together
        c.ok("rmdir", path=d)
        check_error(c.req("stat", path=d), 404, "not_found", "stat after rmdir")
        r = c.req("bye")
        assert r["status"] == 200, r
    except Exception as e:  # noqa: BLE001 - every failure is reported below
        errors.append((i, repr(e)))
        barrier_in.abort()
        barrier_out.abort()
    finally:
        if c is not None:
            c.close()


def test_200_concurrent_sessions(server):
    home = server.clean_home("many")
    barrier_in = threading.Barrier(SESSIONS)
    barrier_out = threading.Barrier(SESSIONS)
    errors = []
    threads = [threading.Thread(target=_session_script,
                                args=(server, i, barrier_in, barrier_out, errors), daemon=True)
               for i in range(SESSIONS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, 60 - (time.monotonic() - t0)))
    stuck = sum(t.is_alive() for t in threads)
    elapsed = time.monotonic() - t0
    # BrokenBarrierError entries are just other sessions reacting to a failure.
    real = [e for e in errors if "BrokenBarrierError" not in e[1]]
    assert not stuck, f"{stuck} sessions still running after {elapsed:.1f} s"
    assert not errors, (f"{len(errors)} of {SESSIONS} sessions failed, first real errors: "
                        f"{(real or errors)[:5]}\nserver log tail:\n{server.log_tail()}")
    assert os.listdir(home) == [], f"left behind: {sorted(os.listdir(home))[:10]}"
    server.assert_alive()
    with server.login("demo") as c:
        assert c.ok("pwd")["path"] == "/"


def test_sessions_of_many_users_interleaved(server):
    """Different users at once, each confined to its own home."""
    users = ["demo", "other", "many", "quser"]
    for u in users:
        server.clean_home(u)
    conns = {u: [server.login(u) for _ in range(5)] for u in users}
    try:
        for u, cs in conns.items():
            for k, c in enumerate(cs):
                c.ok("mkdir", path=f"{u}_{k}", parents=False)
        for u, cs in conns.items():
            names = [e["name"] for e in cs[0].ok("ls")["entries"]]
            assert names == [f"{u}_{k}" for k in range(5)], (u, names)
            assert sorted(os.listdir(server.home(u))) == names
    finally:
        for cs in conns.values():
            for c in cs:
                c.close()
