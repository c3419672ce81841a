"""An FTP upload over the quota (issue 13): the client reads 552 on the control
connection, not "Send failure: Broken pipe". ferryd reads and drops the rest of
a refused upload (up to 64 MiB or 10 s, ftp_uploads.cpp), then replies; nothing
of the upload is left in the home; the xferlog has an incomplete line and the
activity log a "transfer" line with result quota_exceeded. A client that keeps
sending past either bound is cut off."""

import ftplib
import io
import os
import socket
import subprocess
import time

import pytest

import conftest
import ftp_util
from ftp_util import RawFTP, reply_code
from test_activity_log import has
from transfer_util import xferlog_lines

FTP_CONFIG = ""
MiB = 1 << 20
USER, PASSWORD = "tiny", "tiny-quota-pass"
QUOTA = 1 * MiB
DRAIN_BYTES = 64 * MiB  # refused_drain_bytes
DRAIN_SECONDS = 10      # refused_drain_time


@pytest.fixture(scope="module")
def tiny(ftp_server):
    """ftp_server with an account "tiny" of a 1 MiB quota (added to the running
    server: it re-reads accounts.toml when it changes)."""
    conftest.must_ferryd("user", "add", USER, "--root", ftp_server.root, "--quota", "1MiB",
                         "--password-stdin", input=PASSWORD + "\n")
    deadline = time.monotonic() + 10
    while True:
        try:
            ftp_util.ftp_connect(ftp_server, user=USER, password=PASSWORD).close()
            return ftp_server
        except ftplib.error_perm:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def home(tiny):
    h = tiny.root / "home" / USER
    for p in h.iterdir():
        p.unlink()
    return h


def _left_in(home):
    return sorted(p.name for p in home.iterdir())


def _refusal_logged(srv, path):
    lines = []
    deadline = time.monotonic() + 5
    while not lines and time.monotonic() < deadline:
        lines = [f for f in xferlog_lines(srv, path) if f[13] == USER]
        time.sleep(0.05)
    assert lines, f"no xferlog line for {path}"
    f = lines[-1]
    assert f[11] == "i" and f[-1] == "i", f"incoming and incomplete: {f}"
    has(srv, "transfer", user=USER, path=path, direction="upload", result="quota_exceeded")


def test_curl_upload_over_quota_reads_552(tiny, home, tmp_path):
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(8 * MiB))
    r = subprocess.run([ftp_util.CURL, "-q", "-sS", "--max-time", "30", "-u", f"{USER}:{PASSWORD}", "-T",
                        str(src), f"ftp://127.0.0.1:{tiny.ftp_port}/big.bin"],
                       capture_output=True, text=True, timeout=40)
    # curl's exit status 70 (CURLE_REMOTE_DISK_FULL) is how it reports a 552
    assert r.returncode == 70, (r.returncode, r.stderr)
    assert "Exceeded storage allocation" in r.stderr, r.stderr
    assert "Broken pipe" not in r.stderr and "Send failure" not in r.stderr, r.stderr
    assert _left_in(home) == [], "nothing of a refused upload stays"
    _refusal_logged(tiny, "/big.bin")


def test_ftplib_storbinary_over_quota_reads_552(tiny, home):
    f = ftp_util.ftp_connect(tiny, user=USER, password=PASSWORD)
    try:
        with pytest.raises(ftplib.error_perm) as e:
            f.storbinary("STOR lib.bin", io.BytesIO(os.urandom(4 * MiB)))
        assert reply_code(e.value) == 552, e.value
        assert "quota" in str(e.value).lower(), e.value
        # the session goes on, and an upload that fits still works
        assert f.sendcmd("NOOP").startswith("200")
        f.storbinary("STOR small.bin", io.BytesIO(b"x" * 1000))
    finally:
        ftp_util.close_quietly(f)
    assert _left_in(home) == ["small.bin"]
    _refusal_logged(tiny, "/lib.bin")


def _stor_raw(srv, name):
    c = RawFTP(srv.ftp_port)
    c.expect(f"USER {USER}", 331)
    c.expect(f"PASS {PASSWORD}", 230)
    data = c.epsv()
    code, text = c.cmd(f"STOR {name}")
    assert code == 150, text
    return c, data


def _send_until_cut(data, chunk, pause, limit):
    """Sends `chunk` every `pause` s until the server cuts the data connection
    (or `limit` bytes went out). Returns (bytes sent, seconds)."""
    t0, sent = time.monotonic(), 0
    data.settimeout(30)
    try:
        while sent < limit:
            data.sendall(chunk)
            sent += len(chunk)
            if pause:
                time.sleep(pause)
    except (BrokenPipeError, ConnectionResetError):
        return sent, time.monotonic() - t0
    pytest.fail(f"the server took {sent} bytes after refusing the upload and never cut it off")


def test_a_client_that_keeps_sending_is_cut_off_by_bytes(tiny, home):
    c, data = _stor_raw(tiny, "endless.bin")
    try:
        sent, secs = _send_until_cut(data, b"\0" * MiB, 0, 4 * DRAIN_BYTES)
        # the quota, the drain bound, and what socket buffers held at the cut
        assert sent <= QUOTA + DRAIN_BYTES + 32 * MiB, sent
        assert sent >= DRAIN_BYTES, f"cut before the drain bound: {sent}"
        code, text = c.reply()
        assert code == 552, text
        c.expect("NOOP", 200)
    finally:
        data.close()
        c.close()
    assert _left_in(home) == []
    _refusal_logged(tiny, "/endless.bin")


def test_a_slow_client_that_keeps_sending_is_cut_off_by_time(tiny, home):
    c, data = _stor_raw(tiny, "slow.bin")
    try:
        data.sendall(b"\0" * (2 * MiB))  # over the quota at once
        sent, secs = _send_until_cut(data, b"\0" * (16 << 10), 0.1, DRAIN_BYTES)
        assert DRAIN_SECONDS - 2 <= secs <= DRAIN_SECONDS + 6, f"cut after {secs:.1f} s"
        code, text = c.reply()
        assert code == 552, text
    finally:
        data.close()
        c.close()
    assert _left_in(home) == []
