"""Password guessing (issue 11): failures are throttled per (address, user) and
per user, a success clears only its own pair, and an address with ban_after
failed logins is banned for ban_seconds: its connections are refused at once
with a frame that says why, and the log records the ban. Here ban_after = 4,
ban_seconds = 3."""

import re
import time

import pytest

import conftest
from ferry_wire import Conn

BAN_SECONDS = 3


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = conftest.start_with_settings(tmp_path_factory.mktemp("bans"),
                                     f"ban_after = 4\nban_seconds = {BAN_SECONDS}\nmax_auth_attempts = 10")
    yield s
    conftest._stop_server(s)


def _fail(c, user):
    h = c.auth(user, "wrong password")
    assert h.get("status") == 401, h


def _refused_as_banned(srv, source):
    try:
        with Conn(srv.port, timeout=5, source_ip=source) as c:
            c.send({"op": "hello", "id": 1, "version": 1})
            h = c.recv_header()
    except (EOFError, ConnectionError):
        return True
    if h.get("id") == 1 and h.get("status") == 200:
        return False
    assert h.get("id") == 0 and h.get("status") == 403 and "failed logins" in h.get("message", ""), h
    return True


def test_a_success_clears_only_its_own_pair(srv):
    with Conn(srv.port, timeout=30, source_ip="127.0.0.9") as c:
        assert c.hello()["status"] == 200
        _fail(c, "other")
        _fail(c, "other")
    srv.login("demo", source_ip="127.0.0.9").close()  # one's own account, same address
    with Conn(srv.port, timeout=30, source_ip="127.0.0.9") as c:
        assert c.hello()["status"] == 200
        _fail(c, "other")
    delays = re.findall(r'login failed for user "other" from 127\.0\.0\.9[^;]*; delaying (\d+) ms', srv.log_tail(200))
    assert delays[-3:] == ["250", "500", "1000"], f"the third failure still counts the first two: {delays}"


def test_an_address_is_banned_after_ban_after_failures(srv):
    with Conn(srv.port, timeout=30, source_ip="127.0.0.7") as c:
        assert c.hello()["status"] == 200
        for user in ("a1", "a2", "a3"):
            _fail(c, user)
        _fail(c, "a4")  # the fourth: banned, and this connection is closed
        c.expect_closed(timeout=5)
    assert _refused_as_banned(srv, "127.0.0.7")
    assert "ban: 127.0.0.7 banned for 3 s" in srv.log_tail(200)
    # Others are not affected.
    with srv.login("demo", source_ip="127.0.0.8") as c:
        assert c.ok("pwd")["path"] == "/"
    time.sleep(BAN_SECONDS + 0.5)
    assert not _refused_as_banned(srv, "127.0.0.7"), "the ban ends"
    with srv.login("demo", source_ip="127.0.0.7") as c:
        assert c.ok("pwd")["path"] == "/"
