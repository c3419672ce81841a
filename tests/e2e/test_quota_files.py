"""The per-user file-count limit (issue 11, bug 5): names cost inodes of the
shared filesystem, which has a fixed number of them, so a home may hold at
most `max_files` names (files, directories, links, part files). The server's
default is ferryd.toml's `max_files` (here 50); an account may set its own
with `ferryd user add/set --max-files N` (0 = unlimited, "default" = the
server's). Past the limit put, mkdir, FTP STOR and MKD are refused with the
quota error (413 quota_exceeded naming max_files; FTP 552) and leave nothing
behind; an aborted upload's part file counts; rm gives the name back."""

import ftplib
import io
import os
import signal

import pytest

import conftest
from conftest import must_ferryd
from ferry_wire import check_error
from ftp_util import close_quietly, ftp_connect, reply_code
from quota_util import UNIT, charge_of, walk
from transfer_util import part_path, put_open_when_free, wait_for

SERVER_MAX_FILES = 50
LIMIT = 5  # quser's own max_files in these tests


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """ferryd with the FTP front-end and `max_files = 50` in ferryd.toml."""
    base = tmp_path_factory.mktemp("ferry")
    root = conftest._init_root(base)
    with open(root / "ferryd.toml", "a") as f:
        f.write(f"\nmax_files = {SERVER_MAX_FILES}\n[ftp]\n")
    log_path = base / "ferryd.log"
    proc, port, extra, ftp_port = conftest._spawn(root, log_path, ftp=True)
    s = conftest.Server(base, root, proc, port, log_path)
    s.extra_stdout = extra
    s.ftp_port = ftp_port
    conftest.pin_server(base, root, port)
    yield s
    conftest._stop_server(s)


def _quota(c):
    return c.ok("quota")


def _set_max_files(srv, user, value, expect):
    """`ferryd user set USER --max-files VALUE`, SIGHUP, and wait until a new
    login sees `expect` as its max_files."""
    must_ferryd("user", "set", user, "--root", srv.root, "--max-files", str(value))
    srv.proc.send_signal(signal.SIGHUP)

    def seen():
        with srv.login(user) as c:
            return _quota(c)["max_files"] == expect

    wait_for(seen, 5, f"max_files {expect} for {user}")


@pytest.fixture
def quser(srv):
    """quser with max_files = 5 and an empty home; the default again after."""
    home = srv.clean_home("quser")
    _set_max_files(srv, "quser", LIMIT, LIMIT)
    yield home
    srv.clean_home("quser")
    _set_max_files(srv, "quser", "default", SERVER_MAX_FILES)


def _fill_to_the_limit(c, home):
    """Four one-byte files and a directory: five names."""
    for i in range(4):
        assert c.put_inline(f"f{i}", b"x")["status"] == 201
    c.ok("mkdir", path="d")
    q = _quota(c)
    assert q["files"] == LIMIT and q["max_files"] == LIMIT, q
    assert sorted(os.listdir(home)) == ["d", "f0", "f1", "f2", "f3"]


def _refused(reply, what):
    check_error(reply, 413, "quota_exceeded", what)
    assert "max_files" in reply["message"], f"{what}: the message should name the limit: {reply!r}"


def test_the_next_name_is_refused_by_put_mkdir_stor_and_mkd(srv, quser):
    home = quser
    with srv.login("quser") as c:
        _fill_to_the_limit(c, home)
        _refused(c.put_inline("f4", b"x"), "inline put of a sixth name")
        _refused(c.put_open("big.bin", 1 << 20), "put of a sixth name")
        _refused(c.req("mkdir", path="e"), "mkdir of a sixth name")
        _refused(c.req("mkdir", path="d/x/y", parents=True), "mkdir -p past the limit")
        assert sorted(os.listdir(home)) == ["d", "f0", "f1", "f2", "f3"], "nothing is left behind"
        assert os.listdir(home / "d") == []
        # Replacing a file adds no name: fine at the limit.
        assert c.put_inline("f0", b"new")["status"] == 201
        assert (home / "f0").read_bytes() == b"new"
        assert _quota(c)["files"] == LIMIT

    f = ftp_connect(srv, "quser")
    try:
        with pytest.raises(ftplib.error_perm) as e:
            f.storbinary("STOR s.bin", io.BytesIO(b"ftp data"))
        assert reply_code(e.value) == 552, e.value
        assert "max_files" in str(e.value), e.value
        with pytest.raises(ftplib.error_perm) as e:
            f.mkd("m")
        assert reply_code(e.value) == 552, e.value
        # STOR over an existing file is a replacement.
        f.storbinary("STOR f1", io.BytesIO(b"replaced"))
    finally:
        close_quietly(f)
    assert sorted(os.listdir(home)) == ["d", "f0", "f1", "f2", "f3"], "nothing is left behind"
    assert (home / "f1").read_bytes() == b"replaced"


def test_an_aborted_uploads_part_file_counts(srv, quser):
    home = quser
    with srv.login("quser") as c:
        for i in range(3):
            assert c.put_inline(f"f{i}", b"x")["status"] == 201
    c = srv.login("quser")
    rid, r = put_open_when_free(c, "cut.bin", 100_000)
    assert r["status"] == 200, r
    c.put_data(rid, os.urandom(40_000))
    c.close()  # cut mid-upload: the part stays for a resume, and is a name
    part = part_path(home, "cut.bin")
    wait_for(lambda: part.exists() and part.stat().st_size == 40_000, 5, "the part file")
    with srv.login("quser") as c:
        wait_for(lambda: _quota(c)["files"] == 4, 5, "the part file to be counted")
        assert c.put_inline("f3", b"x")["status"] == 201  # the fifth name
        _refused(c.put_inline("f4", b"x"), "a new name with the part file holding one")
        # Resuming it needs no new name.
        data = os.urandom(100_000)
        rid, r = put_open_when_free(c, "cut.bin", len(data))
        assert r["status"] == 200, r
        assert _quota(c)["files"] == LIMIT


def test_rm_gives_back_the_name_and_its_blocks(srv, quser):
    home = quser
    with srv.login("quser") as c:
        _fill_to_the_limit(c, home)
        c.ok("rm", path="f0")
        assert c.put_inline("big", os.urandom(10_000))["status"] == 201  # three blocks, one name
        big = charge_of(home / "big")
        assert big >= 3 * UNIT
        before = _quota(c)
        assert before["files"] == LIMIT
        c.ok("rm", path="big")
        after = _quota(c)
        assert after["files"] == LIMIT - 1, after
        assert after["used"] == before["used"] - big, (before, after)
        assert (after["used"], after["files"]) == walk(home)
        c.ok("rmdir", path="d")
        assert _quota(c)["files"] == LIMIT - 2
        assert c.ok("mkdir", path="e")["status"] == 201
        assert c.put_inline("g", b"x")["status"] == 201
        _refused(c.put_inline("h", b"x"), "the limit again")


def test_server_default_account_override_and_unlimited(srv):
    home = srv.clean_home("demo")
    with srv.login("demo") as c:
        assert _quota(c)["max_files"] == SERVER_MAX_FILES, "ferryd.toml's max_files"
    _set_max_files(srv, "demo", 2, 2)
    with srv.login("demo") as c:
        c.ok("mkdir", path="a")
        c.ok("mkdir", path="b")
        _refused(c.req("mkdir", path="c"), "past the account's own max_files")
    _set_max_files(srv, "demo", 0, 0)
    with srv.login("demo") as c:
        c.ok("mkdir", path="c")  # 0 = unlimited
    _set_max_files(srv, "demo", "default", SERVER_MAX_FILES)
    listing = must_ferryd("user", "list", "--root", srv.root).stdout
    assert listing.splitlines()[0].split()[-2:] == ["FILES", "EXEC"], listing
    files = {line.split()[0]: line.split()[-2] for line in listing.splitlines()[1:]}
    assert files["demo"] == "default" and files["quser"] == "default", listing
    r = conftest.run_ferryd("user", "set", "demo", "--root", srv.root, "--max-files", "lots")
    assert r.returncode != 0 and "max-files" in r.stderr, r.stderr
    srv.clean_home("demo")


def test_user_add_takes_max_files(srv):
    must_ferryd("user", "add", "counted", "--root", srv.root, "--password-stdin",
                "--max-files", "1", input="counted-pass\n")
    srv.proc.send_signal(signal.SIGHUP)
    text = (srv.root / "accounts.toml").read_text()
    assert "max_files = 1" in text, text

    def login():
        c = conftest.Conn(srv.port)
        c.login("counted", "counted-pass")
        return c

    def ready():
        try:
            with login() as c:
                return _quota(c)["max_files"] == 1
        except AssertionError:
            return False  # not reloaded yet

    wait_for(ready, 5, "the new account")
    with login() as c:
        assert c.put_inline("one", b"1")["status"] == 201
        _refused(c.put_inline("two", b"2"), "the second name of a one-name account")
    assert os.listdir(srv.root / "home" / "counted") == ["one"]
