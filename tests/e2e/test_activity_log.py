"""The activity log, ROOT/log/ferryd.log: logins (ok and failed, with the
peer), session open and close, and mkdir/rm/rmdir/mv from the native protocol
and FTP, one line each; JSON lines with log_format = "json"; reopened on
SIGHUP (logrotate); hostile names escaped so they cannot forge a line."""

import ftplib
import json
import re
import signal
import time

import pytest

import conftest
import ftp_util
from ferry_wire import Conn

TEXT_LINE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [a-z_]+ user="')
# Paths may not hold C0 controls (vfs::resolve refuses them), but quotes, C1
# controls (NEL) and the Unicode line separator are legal in names; Python's
# splitlines() (like many log readers) breaks lines at the last two.
HOSTILE = 'evil"\u2028\u0085 2026-01-01T00:00:00.000Z login user="root" peer="1.2.3.4:1" result="ok'


def text_fields(line):
    """(time, event, {key: value}) of a text line, read as a log parser
    would: a quoted value ends at the first unescaped quote."""
    t, event, rest = line.split(" ", 2)
    fields, i = {}, 0
    while i < len(rest):
        eq = rest.index("=", i)
        key = rest[i:eq]
        i = eq + 1
        if rest[i] == '"':
            j, val = i + 1, ""
            while rest[j] != '"':
                if rest[j] == "\\":
                    val += rest[j:j + 2]
                    j += 2
                else:
                    val += rest[j]
                    j += 1
            i = j + 1
        else:
            j = rest.find(" ", i)
            j = len(rest) if j < 0 else j
            val, i = rest[i:j], j
        fields[key] = val
        if i < len(rest):
            assert rest[i] == " ", f"junk after {key}= in {line!r}"
            i += 1
    return t, event, fields


def log_lines(srv, name="ferryd.log"):
    path = srv.root / "log" / name
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def wait_for(srv, pred, what, name="ferryd.log", timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        lines = log_lines(srv, name)
        found = [l for l in lines if pred(l)]
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} line in {name}:\n" + "\n".join(lines[-30:]))
        time.sleep(0.05)


def events(srv):
    return [text_fields(l) for l in log_lines(srv)]


def has(srv, event, **want):
    def pred(line):
        if not TEXT_LINE.match(line):
            return False
        _, ev, f = text_fields(line)
        return ev == event and all(f.get(k) == v for k, v in want.items())
    return wait_for(srv, pred, f"{event} {want}")


def test_every_line_is_well_formed(ftp_server):
    c = ftp_server.login("demo")
    c.close()
    has(ftp_server, "session_close", user='demo')
    for line in log_lines(ftp_server):
        assert TEXT_LINE.match(line), line
        text_fields(line)


def test_native_login_ok_and_failed(ftp_server):
    c = ftp_server.login("demo")
    port = c.sock.getsockname()[1]
    peer = f"127.0.0.1:{port}"
    has(ftp_server, "session_open", peer=peer, service="ferry")
    has(ftp_server, "login", user="demo", peer=peer, result="ok", service="ferry")
    c.close()
    has(ftp_server, "session_close", user="demo", peer=peer, ending="normal")

    with Conn(ftp_server.port) as bad:
        assert bad.hello()["status"] == 200
        assert bad.auth("demo", "wrong password")["status"] == 401
        bad_peer = f"127.0.0.1:{bad.sock.getsockname()[1]}"
    has(ftp_server, "login", user="demo", peer=bad_peer, result="failed")


def test_native_name_changes(ftp_server):
    ftp_server.clean_home("demo")
    with ftp_server.login("demo") as c:
        c.ok("mkdir", path="/d1", parents=False)
        c.ok("mkdir", path="/d2/sub", parents=True)
        c.put_inline("/d1/f.txt", b"hello")
        c.ok("mv", **{"from": "/d1/f.txt", "to": "/d1/g.txt"})
        c.ok("rm", path="/d1/g.txt")
        c.ok("rmdir", path="/d2/sub")
        c.fails("rmdir", 404, "not_found", path="/nope")
    has(ftp_server, "mkdir", user="demo", path="/d1", parents="false", result="ok", service="ferry")
    has(ftp_server, "mkdir", path="/d2/sub", parents="true", result="ok")
    has(ftp_server, "mv", user="demo", **{"from": "/d1/f.txt", "to": "/d1/g.txt"}, result="ok")
    has(ftp_server, "rm", path="/d1/g.txt", result="ok")
    has(ftp_server, "rmdir", path="/d2/sub", result="ok")
    has(ftp_server, "rmdir", path="/nope", result="not_found")


def test_ftp_login_and_name_changes(ftp_server):
    ftp_server.clean_home("demo")
    f = ftp_util.ftp_connect(ftp_server)
    try:
        peer = "127.0.0.1:%d" % f.sock.getsockname()[1]
        f.mkd("fd")
        f.storbinary("STOR fd/a.txt", __import__("io").BytesIO(b"x"))
        f.rename("fd/a.txt", "fd/b.txt")
        f.delete("fd/b.txt")
        f.rmd("fd")
    finally:
        ftp_util.close_quietly(f)
    has(ftp_server, "login", user="demo", peer=peer, result="ok", service="ftp")
    has(ftp_server, "mkdir", user="demo", path="/fd", result="ok", service="ftp")
    has(ftp_server, "mv", **{"from": "/fd/a.txt", "to": "/fd/b.txt"}, service="ftp")
    has(ftp_server, "rm", path="/fd/b.txt", service="ftp")
    has(ftp_server, "rmdir", path="/fd", service="ftp")
    has(ftp_server, "session_close", user="demo", peer=peer, service="ftp")

    g = ftp_util.ftp_connect(ftp_server, login=False)
    try:
        with pytest.raises(ftplib.error_perm):
            g.login("demo", "not the password")
        gpeer = "127.0.0.1:%d" % g.sock.getsockname()[1]
    finally:
        ftp_util.close_quietly(g)
    has(ftp_server, "login", user="demo", peer=gpeer, result="failed", service="ftp")


def test_hostile_names_cannot_forge_lines(ftp_server):
    ftp_server.clean_home("demo")
    before = len(log_lines(ftp_server))
    with ftp_server.login("demo") as c:
        c.ok("mkdir", path="/" + HOSTILE, parents=False)
    with Conn(ftp_server.port) as bad:
        bad.hello()
        bad.auth('x" user="root\nforged', "pw")
    has(ftp_server, "login", result="failed")
    wait_for(ftp_server, lambda l: '"/evil\\"\\u2028\\u0085 2026' in l, "escaped hostile mkdir")
    for line in log_lines(ftp_server)[before:]:
        assert TEXT_LINE.match(line), f"a line that does not start with a time and event: {line!r}"
        _, event, f = text_fields(line)
        assert not (event == "login" and f.get("user") == "root"), f"forged login line: {line!r}"
        assert set(f) <= {"user", "peer", "service", "session", "result", "reason", "path", "parents",
                          "from", "to", "ending", "ms"}, f"unexpected field in {line!r}"


def test_sighup_reopens_the_log(ftp_server):
    log = ftp_server.root / "log" / "ferryd.log"
    has(ftp_server, "session_open")
    rotated = log.with_name("ferryd.log.1")
    log.rename(rotated)
    ftp_server.proc.send_signal(signal.SIGHUP)
    # The reload is asynchronous: wait until the server has made a new file.
    deadline = time.monotonic() + 5
    while not log.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert log.exists(), "no new ferryd.log after SIGHUP"
    before_old = rotated.read_text().count("\n")
    with ftp_server.login("other") as c:
        c.ok("pwd")
    has(ftp_server, "login", user="other", result="ok")
    assert rotated.read_text().count("\n") == before_old, "the rotated file still got lines"
    # The xferlog is reopened as well.
    assert (ftp_server.root / "log" / "xferlog").exists()


@pytest.fixture(scope="module")
def json_server(tmp_path_factory):
    s = conftest.start_with_settings(tmp_path_factory.mktemp("jsonlog"), 'log_format = "json"')
    yield s
    conftest._stop_server(s)


def test_json_lines(json_server):
    with json_server.login("demo") as c:
        c.ok("mkdir", path="/" + HOSTILE, parents=False)
    with Conn(json_server.port) as bad:
        bad.hello()
        bad.auth("demo", "wrong")

    def parsed():
        return [json.loads(l) for l in log_lines(json_server)]

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        objs = parsed()
        if any(o["event"] == "login" and o["result"] == "failed" for o in objs) and \
                any(o["event"] == "session_close" and o["user"] == "demo" for o in objs):
            break
        time.sleep(0.05)
    objs = parsed()
    for o in objs:
        assert {"time", "event", "user", "peer"} <= set(o), o
    mk = [o for o in objs if o["event"] == "mkdir"]
    assert mk and mk[0]["path"] == "/" + HOSTILE and mk[0]["result"] == "ok", objs
    assert any(o["event"] == "login" and o["result"] == "ok" and o["user"] == "demo" and
               o["peer"].startswith("127.0.0.1:") for o in objs)
    assert any(o["event"] == "login" and o["result"] == "failed" for o in objs)
    assert not any(o["event"] == "login" and o["user"] == "root" for o in objs)
