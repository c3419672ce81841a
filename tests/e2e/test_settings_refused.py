"""Settings are honoured or refused, never changed silently (issue 13).
`ferryd serve` with a value out of its range exits non-zero naming the
setting, the value and the allowed range; a reload with such a value keeps
the running settings and says why; a small but valid value (idle_timeout = 5)
is honoured: a session idle 6 s is closed."""

import shutil
import socket
import subprocess
import time

import pytest

import conftest


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return conftest._init_root(tmp_path_factory.mktemp("settings"))


def _serve_with(root, settings, prefix=()):
    """`ferryd serve` on ROOT whose ferryd.toml ends with `settings`; for a
    refusal, it exits before listening."""
    toml = root / "ferryd.toml"
    original = toml.read_text()
    toml.write_text(original + "\n" + settings + "\n")
    try:
        return subprocess.run([*prefix, conftest.FERRYD, "serve", "--root", str(root), "--listen", "127.0.0.1:0",
                               *conftest.ALLOW_ROOT], capture_output=True, text=True, timeout=20,
                              stdin=subprocess.DEVNULL)
    finally:
        toml.write_text(original)


BAD = [
    ("idle_timeout = 0", "idle_timeout = 0", "from 1 to"),
    ("login_timeout = 0", "login_timeout = 0", "from 1 to"),
    ("idle_timeout = -5", "idle_timeout = -5", "from 1 to"),
    ("threads = 100000", "threads = 100000", "from 0 to 1024"),
    ("fs_workers = 4096", "fs_workers = 4096", "from 0 to 1024"),
    ("max_auth_attempts = 0", "max_auth_attempts = 0", "from 1 to 1000"),
    ("[ftp]\ndata_timeout = 0", "ftp.data_timeout = 0", "from 1 to"),
    ("[exec]\nmax_per_user = 0", "exec.max_per_user = 0", "from 1 to 65536"),
    ('download_method = "zerocopy"', "download_method", '"auto", "copy", "sendfile" or "splice"'),
    ('log_level = "loud"', "log_level", '"debug", "info", "warn" or "error"'),
]


@pytest.mark.parametrize("settings,named,allowed", BAD, ids=[b[1] for b in BAD])
def test_serve_refuses_a_value_out_of_range(root, settings, named, allowed):
    r = _serve_with(root, settings)
    assert r.returncode != 0, f"ferryd served with {settings!r}"
    assert "listening" not in r.stdout, r.stdout
    assert named in r.stderr and allowed in r.stderr, r.stderr


def test_serve_refuses_more_sessions_than_descriptors_allow(root):
    if shutil.which("prlimit") is None:
        pytest.skip("prlimit (util-linux) not installed")
    prefix = ("prlimit", "--nofile=256:384", "--")
    r = _serve_with(root, "max_sessions = 5000", prefix)
    assert r.returncode != 0, "max_sessions was trimmed instead of refused"
    assert "max_sessions = 5000" in r.stderr and "limit 384" in r.stderr and "at most 106" in r.stderr, r.stderr


def test_idle_timeout_of_5_is_honoured(tmp_path, cleanup):
    srv = conftest.start_with_settings(tmp_path, "idle_timeout = 5")
    cleanup(srv)
    c = srv.login("demo")
    c.ok("pwd")
    t0 = time.monotonic()
    c.sock.settimeout(15)
    try:
        while c.sock.recv(65536):  # whatever last words, then the close
            pass
    except ConnectionResetError:
        pass
    except socket.timeout:
        pytest.fail("a session idle 15 s was not closed (idle_timeout = 5)")
    idle = time.monotonic() - t0
    assert 4.0 <= idle <= 7.5, f"closed after {idle:.1f} s idle (idle_timeout = 5)"
    assert "idle timeout" in srv.log_tail(20)
    conftest._stop_server(srv)


def test_idle_timeout_of_5_is_honoured_over_ftp(tmp_path, cleanup):
    from ftp_util import RawFTP
    root = conftest._init_root(tmp_path)
    with open(root / "ferryd.toml", "a") as f:
        f.write("\nidle_timeout = 5\n")
    log_path = tmp_path / "ferryd.log"
    proc, port, extra, ftp_port = conftest._spawn(root, log_path, ftp=True)
    srv = conftest.Server(tmp_path, root, proc, port, log_path)
    srv.extra_stdout, srv.ftp_port = extra, ftp_port
    cleanup(srv)
    with RawFTP(ftp_port, timeout=15) as c:
        c.login(srv)
        t0 = time.monotonic()
        code, text = c.reply()  # unasked: the timeout's last words
        idle = time.monotonic() - t0
        assert (code, text) == (421, "421 Timeout."), text
        assert 4.0 <= idle <= 7.5, f"closed after {idle:.1f} s idle (idle_timeout = 5)"
    conftest._stop_server(srv)


def test_reload_refuses_a_value_out_of_range_and_keeps_the_running_one(tmp_path, cleanup):
    srv = conftest.start_with_settings(tmp_path, "idle_timeout = 60")
    cleanup(srv)
    toml = srv.root / "ferryd.toml"
    toml.write_text(toml.read_text().replace("idle_timeout = 60", "idle_timeout = 0"))
    r = conftest.run_ferryd("ctl", "--root", srv.root, "reload")
    assert r.returncode == 1, (r.stdout, r.stderr)
    out = r.stdout + r.stderr
    assert "idle_timeout = 0" in out and "from 1 to" in out, out
    assert "not reloaded" in out, out
    # still serving, with the old value: a session idle 2 s is not closed
    c = srv.login("demo")
    time.sleep(2)
    c.ok("pwd")
    c.close()
    conftest._stop_server(srv)


def test_log_level_warn_keeps_sessions_out_of_the_log_and_a_reload_brings_them_back(tmp_path, cleanup):
    srv = conftest.start_with_settings(tmp_path, 'log_level = "warn"')
    cleanup(srv)

    def one_session_logs():
        before = srv.log_path.read_text(errors="replace")
        c = srv.login("demo")
        c.ok("pwd")
        c.bye()
        # "open from" and "logged in" are written (synchronously) before the
        # login's reply, so they are in the file by now when they are written.
        return srv.log_path.read_text(errors="replace")[len(before):]

    quiet = one_session_logs()
    assert "logged in" not in quiet and "open from" not in quiet, quiet
    toml = srv.root / "ferryd.toml"
    toml.write_text(toml.read_text().replace('log_level = "warn"', 'log_level = "info"'))
    r = conftest.run_ferryd("ctl", "--root", srv.root, "reload")
    assert r.returncode == 0, (r.stdout, r.stderr)
    loud = one_session_logs()
    assert "user demo logged in" in loud, loud
    conftest._stop_server(srv)
