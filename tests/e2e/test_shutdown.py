"""Graceful shutdown through the session gate, against the real ferryd:
SIGTERM stops accepting at once, closes idle sessions (FTP ones hear
"421 Server shutting down."), lets a session with an upload in progress
finish it, and gives up at shutdown_timeout (the part file stays for a
resume). Each test starts its own server (they end it)."""

import json
import signal
import socket
import struct
import subprocess
import time
from ftplib import FTP

import pytest

import conftest
from ferry_wire import digest_of
from transfer_util import part_path

EXIT_WAIT = 15.0


def _server(tmp_path, shutdown_timeout, ftp=False):
    root = conftest._init_root(tmp_path)
    with open(root / "ferryd.toml", "a") as f:
        f.write(f"\nshutdown_timeout = {shutdown_timeout}\n")
        if ftp:
            f.write("\n[ftp]\n")
    log_path = tmp_path / "ferryd.log"
    proc, port, extra, ftp_port = conftest._spawn(root, log_path, ftp=ftp)
    srv = conftest.Server(tmp_path, root, proc, port, log_path)
    srv.extra_stdout = extra
    srv.ftp_port = ftp_port
    return srv


def _exit_code(srv, timeout=EXIT_WAIT):
    try:
        return srv.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        srv.proc.kill()
        srv.proc.wait()
        pytest.fail(f"ferryd did not exit within {timeout} s of SIGTERM; log:\n{srv.log_tail()}")


def _frame_header(c):
    """Only the header of the next frame (its body is left to read)."""
    (n,) = struct.unpack(">I", c._recv_exact(4))
    return json.loads(c._recv_exact(n))


def _refuses_connections(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return True
    return False


def _held_upload(tmp_path, cleanup, shutdown_timeout, name, size):
    """A server and a demo session with an upload of `size` bytes open on it
    (put sent, no commit yet): the session is busy for the gate."""
    srv = _server(tmp_path, shutdown_timeout)
    cleanup(srv)
    c = srv.login("demo")
    put = c.put_open(name, size)
    assert put["status"] == 200 and put["offset"] == 0, put
    return srv, c, put


def test_sigterm_lets_an_upload_finish(tmp_path, cleanup):
    data = bytes(range(256)) * 4096  # 1 MiB
    srv, c, put = _held_upload(tmp_path, cleanup, 60, "up.bin", len(data))
    c.put_data(put["id"], data[:len(data) // 2])

    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert srv.proc.poll() is None, "ferryd quit with an upload in progress"
    assert _refuses_connections(srv.port), "ferryd still accepts after SIGTERM"

    c.put_data(put["id"], data[len(data) // 2:])
    r = c.put_commit(put["id"], "xxh128", digest_of("xxh128", data))
    assert r["status"] == 201, r
    c.expect_closed()  # then the session ends on its own, between requests
    assert _exit_code(srv) == 0
    assert (srv.home("demo") / "up.bin").read_bytes() == data
    assert "all sessions finished" in srv.log_path.read_text()


def test_sigterm_gives_up_at_the_shutdown_timeout(tmp_path, cleanup):
    srv, c, put = _held_upload(tmp_path, cleanup, 1, "stalled.bin", 1 << 20)
    c.put_data(put["id"], b"x" * 1000)  # ... and never more

    start = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    assert _exit_code(srv) == 0
    assert time.monotonic() - start >= 0.9, "ferryd did not wait for the busy session"
    part = part_path(srv.home("demo"), "stalled.bin")
    assert part.read_bytes() == b"x" * 1000, "the part file must stay for a resume"
    assert not (srv.home("demo") / "stalled.bin").exists()
    assert "still busy after the drain timeout" in srv.log_path.read_text()
    c.close()


def test_sigterm_closes_idle_sessions_at_once(tmp_path, cleanup):
    srv = _server(tmp_path, shutdown_timeout=60, ftp=True)
    cleanup(srv)
    native = srv.login("demo")
    assert native.ok("pwd")["path"] == "/"
    ftp = FTP()
    ftp.connect("127.0.0.1", srv.ftp_port, timeout=10)
    ftp.login("demo", srv.password("demo"))

    srv.proc.send_signal(signal.SIGTERM)
    # Idle sessions do not hold the gate: ferryd exits long before 60 s.
    assert _exit_code(srv) == 0
    assert ftp.getline().startswith("421 Server shutting down"), "FTP client not told"
    native.expect_closed()


def test_second_sigterm_stops_at_once(tmp_path, cleanup):
    srv, c, put = _held_upload(tmp_path, cleanup, 120, "held.bin", 1 << 20)
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert srv.proc.poll() is None, "the first signal must wait for the upload"
    srv.proc.send_signal(signal.SIGTERM)
    assert _exit_code(srv, timeout=10) == 0, "a second signal stops without waiting"
    assert "stopping now" in srv.log_path.read_text()
    c.close()


def test_drain_delivers_a_download_with_a_request_pipelined_behind_it(tmp_path, cleanup):
    """The session stops after the get without answering the pwd queued behind
    it; closing with that request unread must not reset the connection and
    destroy the end of the download still in flight."""
    srv = _server(tmp_path, shutdown_timeout=60)
    cleanup(srv)
    data = bytes(range(251)) * (32 * 4096)  # ~32 MiB: more than the socket buffers hold
    (srv.home("demo") / "big.bin").write_bytes(data)
    c = srv.login("demo")
    c.send({"op": "get", "id": 100, "path": "big.bin"})
    header = _frame_header(c)
    assert header["status"] == 200 and header["body"] == len(data), header
    c.send({"op": "pwd", "id": 101})  # a separate write, read by nobody
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    got = c._recv_exact(len(data))
    trailer = _frame_header(c)
    assert got == data
    assert trailer["status"] == 200 and trailer["digest"] == digest_of("xxh128", data), trailer
    c.expect_closed()
    assert _exit_code(srv) == 0
