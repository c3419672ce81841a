"""Admin commands run as root keep a root that belongs to the service user
usable by it (issue 13): `ferryd init` on such a ROOT gives what it creates to
ROOT's owner, `ferryd user add|passwd|set|del` keep accounts.toml's owner,
group and mode, and `user add` gives the new home to ROOT's owner, so the
server (serving as that user) logs the new user in. Needs root."""

import os
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import conftest
from ferry_wire import Conn


@pytest.fixture(scope="module")
def service_user():
    if os.geteuid() != 0:
        pytest.skip("ownership across users is tested as root")
    return conftest.service_account()


@pytest.fixture(scope="module")
def owned_root(service_user):
    """A ROOT made by the service user (mkdir + chown), then `ferryd init` run
    as root on it, then ferryd serving it (dropping to the service user)."""
    base = Path(tempfile.mkdtemp(prefix="ferry-own."))  # not under pytest's 0700 dir
    os.chmod(base, 0o755)
    root = base / "root"
    root.mkdir()
    os.chown(root, service_user.pw_uid, service_user.pw_gid)
    conftest.must_ferryd("init", "--root", root)
    log_path = base / "ferryd.log"
    log = open(log_path, "ab")
    proc = subprocess.Popen([conftest.FERRYD, "serve", "--root", str(root), "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    line = conftest._read_stdout_line(proc, time.monotonic() + conftest.START_TIMEOUT, log_path)
    port = conftest._port_from(line, "ferryd listening on 127.0.0.1:")
    srv = conftest.Server(base, root, proc, port, log_path)
    yield srv
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(base, ignore_errors=True)


def _owner(p):
    st = os.lstat(p)
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


def _login_eventually(srv, user, password, timeout=10.0):
    """The server re-reads accounts.toml when it changes; a login retried
    until then."""
    deadline = time.monotonic() + timeout
    while True:
        c = Conn(srv.port)
        try:
            c.login(user, password)
            return c
        except AssertionError:
            c.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_init_gives_what_it_creates_to_the_owner_of_root(owned_root, service_user):
    ids = (service_user.pw_uid, service_user.pw_gid)
    root = owned_root.root
    for rel in ("ferryd.toml", "accounts.toml", "secret", "home", "log", "tls", "tls/key.pem", "tls/cert.pem"):
        assert _owner(root / rel)[:2] == ids, f"{rel} belongs to {_owner(root / rel)}"
    assert _owner(root / "accounts.toml")[2] == 0o600
    assert _owner(root / "tls" / "key.pem")[2] == 0o600
    assert _owner(root / "home")[2] == 0o711


def test_user_add_keeps_the_accounts_file_the_servers(owned_root, service_user):
    root = owned_root.root
    ids = (service_user.pw_uid, service_user.pw_gid)
    os.chmod(root / "accounts.toml", 0o640)  # an administrator's choice
    conftest.must_ferryd("user", "add", "alice", "--root", root, "--password-stdin", input="alice-pass-1\n")
    assert _owner(root / "accounts.toml") == (*ids, 0o640)
    assert _owner(root / "home" / "alice") == (*ids, 0o700), "the new home is the service user's"
    # the running server (as the service user) reads the file and the home
    with _login_eventually(owned_root, "alice", "alice-pass-1") as c:
        assert c.put_inline("hello.txt", b"hi")["status"] == 201
    assert os.stat(root / "home" / "alice" / "hello.txt").st_uid == service_user.pw_uid


def test_passwd_set_and_del_keep_owner_and_mode(owned_root, service_user):
    root = owned_root.root
    ids = (service_user.pw_uid, service_user.pw_gid)
    conftest.must_ferryd("user", "add", "bob", "--root", root, "--password-stdin", input="bob-pass-1\n")
    before = _owner(root / "accounts.toml")
    assert before[:2] == ids
    conftest.must_ferryd("user", "passwd", "bob", "--root", root, "--password-stdin", input="bob-pass-2\n")
    assert _owner(root / "accounts.toml") == before
    with _login_eventually(owned_root, "bob", "bob-pass-2") as c:
        c.ok("pwd")
    conftest.must_ferryd("user", "set", "bob", "--root", root, "--quota", "5MiB")
    assert _owner(root / "accounts.toml") == before
    conftest.must_ferryd("user", "del", "bob", "--root", root, "--remove-home")
    assert _owner(root / "accounts.toml") == before
    assert not (root / "home" / "bob").exists()
    # and the server still reads the file after all that
    with _login_eventually(owned_root, "alice", "alice-pass-1") as c:
        c.ok("pwd")
    owned_root.assert_alive()
