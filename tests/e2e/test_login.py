"""hello, SCRAM-SHA-256 login, unknown users, throttling, session limits, bye
(docs/protocol.md §5-6)."""

import base64
import time

from ferry_wire import ScramClient, check_error, parse_scram_attrs


def test_hello_reply(server):
    with server.connect() as c:
        h = c.hello()
        assert h["status"] == 200, h
        assert h.get("version") == 1, h
        assert isinstance(h.get("auth"), list) and "SCRAM-SHA-256" in h["auth"], h
        assert isinstance(h.get("server"), str) and h["server"], h


def test_hello_unsupported_version(server):
    with server.connect() as c:
        r = c.hello(version=2)
        check_error(r, 505, "version_not_supported", "hello version 2")


def test_login_ok_and_server_proves_itself(server):
    with server.connect() as c:
        assert c.hello()["status"] == 200
        sc = ScramClient("demo", server.password("demo"))
        first = c.req("auth", mechanism="SCRAM-SHA-256", data=sc.client_first())
        assert first["status"] == 100, first
        attrs = parse_scram_attrs(first["data"])
        assert attrs["r"].startswith(sc.cnonce) and len(attrs["r"]) > len(sc.cnonce), first
        assert int(attrs["i"]) >= 4096, first
        assert len(base64.b64decode(attrs["s"])) >= 16, first
        final = c.req("auth", data=sc.client_final(first["data"]))
        assert final["status"] == 200, final
        assert final.get("user") == "demo", final
        assert sc.verify_server_final(final["data"]), (
            f"server-final {final['data']!r} is not the signature "
            f"{sc.expected_server_final()!r}")
        pwd = c.ok("pwd")
        assert pwd["path"] == "/", pwd


def test_server_nonce_fresh_per_session(server):
    nonces = []
    for _ in range(2):
        with server.connect() as c:
            c.hello()
            sc = ScramClient("demo", server.password("demo"), "fixedclientnonce")
            first = c.req("auth", mechanism="SCRAM-SHA-256", data=sc.client_first())
            assert first["status"] == 100, first
            nonces.append(parse_scram_attrs(first["data"])["r"])
    assert nonces[0] != nonces[1], f"server reused its nonce: {nonces}"


def test_wrong_password(server):
    with server.connect(source_ip="127.0.0.11") as c:
        c.hello()
        r = c.auth("demo", "not-the-password")
        check_error(r, 401, "auth_failed", "wrong password")


def test_tampered_proof_fails(server):
    with server.connect(source_ip="127.0.0.12") as c:
        c.hello()
        sc = ScramClient("demo", server.password("demo"))
        first = c.req("auth", mechanism="SCRAM-SHA-256", data=sc.client_first())
        assert first["status"] == 100, first
        final = sc.client_final(first["data"])
        without, proof = final.rsplit(",p=", 1)
        raw = bytearray(base64.b64decode(proof))
        raw[0] ^= 1
        r = c.req("auth", data=f"{without},p={base64.b64encode(bytes(raw)).decode()}")
        check_error(r, 401, "auth_failed", "tampered proof")


def test_client_final_with_other_nonce_fails(server):
    """Replaying a proof under a nonce the server did not issue must fail."""
    with server.connect(source_ip="127.0.0.13") as c:
        c.hello()
        sc = ScramClient("demo", server.password("demo"))
        first = c.req("auth", mechanism="SCRAM-SHA-256", data=sc.client_first())
        assert first["status"] == 100, first
        attrs = parse_scram_attrs(first["data"])
        forged = f"r={sc.cnonce}FORGED,s={attrs['s']},i={attrs['i']}"
        r = c.req("auth", data=sc.client_final(forged))
        check_error(r, 401, "auth_failed", "client-final with a nonce not issued")


def _server_first(server, user, source_ip):
    with server.connect(source_ip=source_ip) as c:
        c.hello()
        sc = ScramClient(user, "whatever-password")
        first = c.req("auth", mechanism="SCRAM-SHA-256", data=sc.client_first())
        assert first["status"] == 100, (
            f"client-first for {user!r} must get a challenge like any user: {first!r}")
        final = c.req("auth", data=sc.client_final(first["data"]))
        check_error(final, 401, "auth_failed", f"login as {user!r}")
        return parse_scram_attrs(first["data"])


def test_unknown_user_indistinguishable(server):
    real = _server_first(server, "demo", "127.0.0.14")
    ghost1 = _server_first(server, "ghost", "127.0.0.15")
    ghost2 = _server_first(server, "ghost", "127.0.0.16")
    assert ghost1["i"] == real["i"], f"iterations differ: unknown {ghost1} vs real {real}"
    assert len(base64.b64decode(ghost1["s"])) == len(base64.b64decode(real["s"])), (
        f"salt length differs: unknown {ghost1} vs real {real}")
    assert len(ghost1["r"]) == len(real["r"]), f"nonce length differs: {ghost1} vs {real}"
    assert ghost1["s"] == ghost2["s"], (
        f"unknown user got a different salt on each attempt: {ghost1['s']} vs {ghost2['s']}")
    other = _server_first(server, "ghost2", "127.0.0.17")
    assert other["s"] != ghost1["s"], "two unknown users share one fake salt"


def test_failed_logins_are_throttled_per_address(server):
    """docs/security.md: failed logins are throttled per client address. Four failures
    in a row from one address take noticeably longer than the first; another
    address is not slowed down."""
    times = []
    for _ in range(4):
        t0 = time.monotonic()
        with server.connect(source_ip="127.0.0.20") as c:
            c.hello()
            check_error(c.auth("demo", "bad"), 401, "auth_failed", "wrong password")
        times.append(time.monotonic() - t0)
    assert sum(times) >= 0.7, f"4 failed logins from one address took only {times}"
    t0 = time.monotonic()
    c = server.login("demo", source_ip="127.0.0.21")
    c.close()
    assert time.monotonic() - t0 < 1.0, "a login from another address was slowed down"


def test_ops_before_auth_are_refused(server):
    with server.connect() as c:
        assert c.hello()["status"] == 200
        for op, fields in [("pwd", {}), ("ls", {}), ("cd", {"path": "/"}),
                           ("mkdir", {"path": "preauth", "parents": False}),
                           ("stat", {"path": "/"}), ("quota", {}),
                           ("rm", {"path": "x"}), ("mv", {"from": "a", "to": "b"})]:
            r = c.req(op, **fields)
            check_error(r, 401, "not_authenticated", f"{op} before auth")
        # the connection is still usable: log in now
        r = c.auth("demo", server.password("demo"))
        assert r["status"] == 200, r
        assert c.ok("pwd")["path"] == "/"
    assert not (server.home("demo") / "preauth").exists()


def test_session_limit(server):
    first = server.login("solo")
    try:
        with server.connect() as c2:
            c2.hello()
            r = c2.auth("solo", server.password("solo"))
            check_error(r, 429, "too_many_sessions", "second session of a max-sessions 1 user")
            assert first.ok("pwd")["path"] == "/"
    finally:
        first.bye()
    # The slot is released once the first session is gone.
    deadline = time.monotonic() + 3
    while True:
        with server.connect() as c3:
            c3.hello()
            r = c3.auth("solo", server.password("solo"))
            if r["status"] == 200:
                assert c3.ok("pwd")["path"] == "/"
                break
        assert time.monotonic() < deadline, f"session slot never released: {r!r}"
        time.sleep(0.1)


def test_other_users_not_limited_by_solo(server):
    a = server.login("demo")
    b = server.login("demo")
    c = server.login("demo")
    for s in (a, b, c):
        assert s.ok("pwd")["path"] == "/"
        s.close()


def test_bye_closes(server):
    c = server.login("demo")
    r = c.req("bye")
    assert r["status"] == 200, r
    c.expect_closed()
    c.close()

