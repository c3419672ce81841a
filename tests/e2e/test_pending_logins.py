"""Connections that never log in cannot lock users out (issue 11, resource
limits). They have their own pool: here 12 in all and 4 per address
(max_pending_logins, max_pending_logins_per_ip), cut at the login timeout.
A flood of hello-only connections from three addresses fills it; past it new
connections are refused at once with a frame saying why; logged-in sessions
are untouched and the logged-in pool (max_sessions) is not used by the flood;
as soon as a pending slot frees, a real user logs in."""

import time

import pytest

import conftest
from ferry_wire import Conn, ProtocolError  # noqa: F401

LOGIN_TIMEOUT = 3


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = conftest.start_with_settings(tmp_path_factory.mktemp("pending"),
                                     f"login_timeout = {LOGIN_TIMEOUT}\nmax_sessions = 20\n"
                                     "max_pending_logins = 12\nmax_pending_logins_per_ip = 4")
    yield s
    conftest._stop_server(s)


def _refused(port, source):
    """True when the server refuses a new connection from `source`: the id-0
    429 frame (or a close) instead of an answer to hello."""
    try:
        with Conn(port, timeout=5, source_ip=source) as c:
            c.send({"op": "hello", "id": 1, "version": 1})
            h = c.recv_header()
            if h.get("id") == 1 and h.get("status") == 200:
                return False
            assert h.get("id") == 0 and h.get("status") == 429, h
            return True
    except (EOFError, ConnectionError):
        return True


def test_a_flood_that_never_logs_in_locks_no_one_out(srv):
    user = srv.login("demo")  # logged in before the flood
    flood = []
    try:
        for a in (2, 3, 4):
            for _ in range(4):
                c = Conn(srv.port, timeout=10, source_ip=f"127.0.0.{a}")
                assert c.hello()["status"] == 200  # and then nothing
                flood.append(c)
        time.sleep(0.2)
        assert _refused(srv.port, "127.0.0.2"), "a fifth pending connection from one address"
        assert _refused(srv.port, "127.0.0.5"), "the pending pool is full"
        # The logged-in session is untouched...
        assert user.ok("pwd")["path"] == "/"
        # ...and a pending slot that frees serves a real user at once.
        flood.pop().close()
        deadline = time.monotonic() + 5
        while True:
            try:
                with Conn(srv.port, timeout=5, source_ip="127.0.0.6") as c:
                    c.login("other", srv.password("other"))
                    assert c.ok("pwd")["path"] == "/"
                    break
            except (EOFError, ConnectionError, ProtocolError, AssertionError):
                assert time.monotonic() < deadline, "no login after a pending slot freed"
                time.sleep(0.1)
        # The flood is cut at the login timeout; then anyone may connect.
        time.sleep(LOGIN_TIMEOUT + 1)
        assert not _refused(srv.port, "127.0.0.5")
        with Conn(srv.port, timeout=5, source_ip="127.0.0.2") as c:
            c.login("demo", srv.password("demo"))
    finally:
        for c in flood:
            c.close()
        user.close()
    srv.assert_alive()
