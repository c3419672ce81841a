"""The server's logs record native uploads that did not complete (issue 13), as
they record aborted downloads: a put cut short by the client being killed, and
a put refused over the quota, each leave an xferlog line with completion
status "i" and a "transfer" line in the activity log (ferryd.log) saying why."""

import os
import signal
import subprocess
import time

import pytest

import conftest
from test_activity_log import has
from transfer_util import xferlog_lines

MiB = 1 << 20
TINY, TINY_PASSWORD = "tinyput", "tiny-put-pass"


@pytest.fixture(scope="module")
def srv(server):
    conftest.must_ferryd("user", "add", TINY, "--root", server.root, "--quota", "1MiB", "--password-stdin",
                         input=TINY_PASSWORD + "\n")
    return server


def _incomplete_upload_logged(srv, user, path):
    deadline = time.monotonic() + 10
    lines = []
    while not lines and time.monotonic() < deadline:
        lines = [f for f in xferlog_lines(srv, path) if f[13] == user]
        time.sleep(0.05)
    assert lines, f"no xferlog line for {path}:\n{(srv.root / 'log' / 'xferlog').read_text()[-2000:]}"
    f = lines[-1]
    assert f[11] == "i", f"an upload: {f}"
    assert f[17] == "i", f"incomplete: {f}"
    assert f[14] == "ferry", f"service: {f}"
    return f


def _ferry_env(srv):
    env = {k: v for k, v in os.environ.items() if k not in ("FERRY_PASSWORD", "XDG_CONFIG_HOME")}
    env["HOME"] = str(srv.base)
    return env


def test_a_put_cut_by_killing_the_client_is_logged(srv, tmp_path):
    # "slow" is rate-limited (16 MiB/s), so 64 MiB take seconds: time to kill.
    srv.clean_home("slow")
    src = tmp_path / "cut.bin"
    src.write_bytes(os.urandom(64 * MiB))
    env = _ferry_env(srv)
    env["FERRY_PASSWORD"] = srv.password("slow")
    proc = subprocess.Popen([conftest.FERRY, "-P", str(srv.port), "slow@127.0.0.1", "put", str(src), "cut.bin"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    part = srv.home("slow") / ".cut.bin.ferry-part"
    deadline = time.monotonic() + 20
    while not (part.exists() and part.stat().st_size >= 4 * MiB):
        assert proc.poll() is None, f"the put ended before it could be cut: {proc.stderr.read()!r}"
        assert time.monotonic() < deadline, "the upload never got going"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    f = _incomplete_upload_logged(srv, "slow", "/cut.bin")
    assert 0 < int(f[7]) < 64 * MiB, f"bytes received: {f}"
    has(srv, "transfer", user="slow", path="/cut.bin", direction="upload", result="aborted")
    assert not (srv.home("slow") / "cut.bin").exists()


@pytest.mark.parametrize("size", [512 << 10, 4 * MiB], ids=["inline", "streamed"])
def test_a_put_over_the_quota_is_logged(srv, tmp_path, size):
    home = srv.root / "home" / TINY
    for p in home.iterdir():
        p.unlink()
    filler = tmp_path / "filler.bin"
    filler.write_bytes(b"f" * (800 << 10))  # most of the 1 MiB quota
    # local names relative to tmp_path: the client's messages name them, and
    # the real-path check of run_ferry must not see the pytest directory
    r = conftest.run_ferry(srv, [f"{TINY}@127.0.0.1", "put", "filler.bin", "filler.bin"], password=TINY_PASSWORD,
                           cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    name = f"over-{size}.bin"
    src = tmp_path / name
    src.write_bytes(os.urandom(size))
    r = conftest.run_ferry(srv, [f"{TINY}@127.0.0.1", "put", name, name], password=TINY_PASSWORD, cwd=tmp_path)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "quota" in r.stderr.lower(), r.stderr
    _incomplete_upload_logged(srv, TINY, "/" + name)
    has(srv, "transfer", user=TINY, path="/" + name, direction="upload", result="quota_exceeded")
    assert sorted(p.name for p in home.iterdir()) == ["filler.bin"]
