"""Least privilege (issue 11). Started as root, ferryd binds and then serves as
the owner of ROOT (or `user` in ferryd.toml), never as root unless told
--allow-root; file modes then hold, so an unreadable file is a 403. Needs root
(it creates the system user "ferrytest" once); skipped otherwise."""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import conftest
from ferry_wire import Conn, check_error

SERVICE = conftest.SERVICE_USER


@pytest.fixture(scope="module")
def service_user():
    if os.geteuid() != 0:
        pytest.skip("dropping privileges is tested as root")
    return conftest.service_account()


def _uids(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    raise AssertionError("no Uid line")


@pytest.fixture(scope="module")
def dropped(service_user):
    # Not under pytest's private (0700) temp dir: the service user must reach ROOT.
    base = Path(tempfile.mkdtemp(prefix="ferry-priv."))
    os.chmod(base, 0o755)
    root = conftest._init_root(base)
    subprocess.run(["chown", "-R", f"{service_user.pw_uid}:{service_user.pw_gid}", str(root)], check=True)
    log_path = base / "ferryd.log"
    argv = [conftest.FERRYD, "serve", "--root", str(root), "--listen", "127.0.0.1:0"]
    log = open(log_path, "ab")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    log.close()
    line = conftest._read_stdout_line(proc, time.monotonic() + conftest.START_TIMEOUT, log_path)
    port = conftest._port_from(line, "ferryd listening on 127.0.0.1:")
    s = conftest.Server(base, root, proc, port, log_path)
    s.extra_stdout = []
    yield s
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(base, ignore_errors=True)


def test_it_serves_as_the_owner_of_root(dropped, service_user):
    assert _uids(dropped.proc.pid) == [service_user.pw_uid] * 4, "real, effective, saved and fs uid"
    assert f"serving as {SERVICE} (uid {service_user.pw_uid}" in dropped.log_tail(50)
    with Conn(dropped.port) as c:
        c.login("demo", dropped.password("demo"))
        assert c.put_inline("mine.txt", b"hello")["status"] == 201
        reply, body, trailer = c.get("mine.txt")
        assert body == b"hello"
    st = os.stat(dropped.home("demo") / "mine.txt")
    assert st.st_uid == service_user.pw_uid, "files are created as the service user"


def test_the_admin_socket_belongs_to_the_service_user(dropped, service_user):
    import stat
    sock = dropped.root / "ctl.sock"
    st = os.lstat(sock)
    # Created while still root, then given away: the dropped server and its
    # account can use it, nobody else.
    assert (st.st_uid, st.st_gid) == (service_user.pw_uid, service_user.pw_gid)
    assert stat.S_IMODE(st.st_mode) == 0o600
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv not installed")

    def ctl_as(pw):
        return subprocess.run([setpriv, f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups",
                               conftest.FERRYD, "ctl", "--root", str(dropped.root), "stats"],
                              capture_output=True, text=True, timeout=30)

    r = ctl_as(service_user)
    assert r.returncode == 0 and "logins" in r.stdout, r.stderr
    assert conftest.run_ferryd("ctl", "--root", dropped.root, "stats").returncode == 0  # root
    r = ctl_as(pwd.getpwnam("nobody"))
    assert r.returncode == 1 and "permission denied" in r.stderr, r.stderr


def test_an_unreadable_file_is_forbidden(dropped, service_user):
    secret = dropped.home("demo") / "secret.txt"
    secret.write_bytes(b"root only")
    os.chown(secret, 0, 0)
    os.chmod(secret, 0o600)
    locked = dropped.home("demo") / "locked.txt"
    locked.write_bytes(b"no mode")
    os.chown(locked, service_user.pw_uid, service_user.pw_gid)
    os.chmod(locked, 0o000)
    with Conn(dropped.port) as c:
        c.login("demo", dropped.password("demo"))
        for name in ("secret.txt", "locked.txt"):
            h = c.req("get", path=name, algo="xxh128")
            check_error(h, 403, "forbidden", f"get of {name}")
            check_error(c.req("hash", path=name, algo="xxh128"), 403, "forbidden", f"hash of {name}")


def test_a_root_owned_root_is_refused_without_allow_root(tmp_path, service_user):
    root = conftest._init_root(tmp_path)
    r = conftest.run_ferryd("serve", "--root", root, "--listen", "127.0.0.1:0", timeout=10)
    assert r.returncode != 0, "ferryd served as root without --allow-root"
    assert "would serve as root" in r.stderr and "--allow-root" in r.stderr, r.stderr


def test_user_in_the_config_names_the_account(tmp_path, service_user):
    root = conftest._init_root(tmp_path)
    with open(root / "ferryd.toml", "a") as f:
        f.write(f'\nuser = "{SERVICE}"\n')
    proc = subprocess.Popen([conftest.FERRYD, "serve", "--root", str(root), "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("ferryd listening on"), line
        deadline = time.monotonic() + 5
        while _uids(proc.pid)[1] != service_user.pw_uid and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _uids(proc.pid) == [service_user.pw_uid] * 4
    finally:
        proc.terminate()
        proc.wait(10)
    with open(root / "ferryd.toml", "a") as f:
        f.write('\n')
    (root / "ferryd.toml").write_text((root / "ferryd.toml").read_text().replace(f'user = "{SERVICE}"', 'user = "no-such-user-x"'))
    r = conftest.run_ferryd("serve", "--root", root, "--listen", "127.0.0.1:0", timeout=10)
    assert r.returncode != 0 and "does not exist" in r.stderr, r.stderr
