"""The FTP front-end obeys the same limits as the native protocol, shared with
it: the user's quota (quser, 100 MiB), one writer per path, the per-address
failed-login throttle, the per-user session limit (solo), and the transfer
log (ROOT/log/xferlog, service "ftp")."""

import ftplib
import io
import os
import socket
import struct
import time

import pytest

from ferry_wire import check_error
from ftp_util import close_quietly, ftp_connect, reply_code
from transfer_util import (MiB, check_xferlog_line, file_size, part_path, wait_for,
                           xferlog_lines)

FTP_CONFIG = ""


def _data(n):
    return os.urandom(n)


def _fails(fn, *args, code, **kw):
    with pytest.raises((ftplib.error_perm, ftplib.error_temp)) as e:
        fn(*args, **kw)
    assert reply_code(e.value) == code, f"{fn.__name__}{args}: expected {code}, got {e.value}"
    return str(e.value)


def _send_until_refused(conn, data, chunk=256 * 1024):
    """Sends `data` on a data connection; returns the number of bytes the
    kernel accepted before the server shut the connection."""
    sent = 0
    try:
        for i in range(0, len(data), chunk):
            conn.sendall(data[i:i + chunk])
            sent += len(data[i:i + chunk])
    except OSError:
        pass
    finally:
        conn.close()
    return sent


def _sparse(path, size):
    """A file of `size` bytes that takes no disk space (the quota counts the
    size)."""
    with open(path, "wb") as fh:
        fh.truncate(size)


def _final_reply(f):
    try:
        return f.getresp()
    except ftplib.Error as e:
        return str(e)


# ---------------------------------------------------------------- quota


def test_quota_exceeded_mid_stream(ftp_server):
    home = ftp_server.clean_home("quser")
    # 80 MiB: room for ok.bin below and for the copy of it an APPE starts from
    # (a seeded prefix is charged: it sits on disk beside the target).
    _sparse(home / "filler", 80 * MiB)
    f = ftp_connect(ftp_server, "quser")
    try:
        conn = f.transfercmd("STOR big.bin")   # 150: accepted, the limit is hit later
        _send_until_refused(conn, _data(30 * MiB))
        resp = _final_reply(f)
        assert resp.startswith("552 "), f"STOR beyond the quota answered {resp!r}"
        assert sorted(os.listdir(home)) == ["filler"], (
            f"an over-quota STOR left files: {sorted(os.listdir(home))}")
        # the session works, and the space was not leaked by the failed upload
        data = _data(5 * MiB)
        assert f.storbinary("STOR ok.bin", io.BytesIO(data)) == "226 Transfer complete."
        assert (home / "ok.bin").read_bytes() == data
        # APPE beyond the quota too
        conn = f.transfercmd("APPE ok.bin")
        _send_until_refused(conn, _data(20 * MiB))
        resp = _final_reply(f)
        assert resp.startswith("552 "), f"APPE beyond the quota answered {resp!r}"
        assert (home / "ok.bin").read_bytes() == data, "an over-quota APPE changed the file"
        assert sorted(os.listdir(home)) == ["filler", "ok.bin"]
    finally:
        close_quietly(f)


def test_quota_full_refuses_up_front(ftp_server):
    home = ftp_server.clean_home("quser")
    _sparse(home / "filler", 100 * MiB)
    f = ftp_connect(ftp_server, "quser")
    try:
        _fails(f.storbinary, "STOR x.bin", io.BytesIO(b"x"), code=552)
        assert sorted(os.listdir(home)) == ["filler"]
        # freeing space (DELE) makes room again
        f.delete("filler")
        f.storbinary("STOR x.bin", io.BytesIO(b"now it fits"))
        assert (home / "x.bin").read_bytes() == b"now it fits"
    finally:
        close_quietly(f)


# ---------------------------------------------------------------- one writer per path


def test_concurrent_stor_same_path_busy(ftp_server):
    home = ftp_server.clean_home("demo")
    old = _data(50_000)
    (home / "x.bin").write_bytes(old)
    new = _data(3 * MiB)
    a = ftp_connect(ftp_server)
    b = ftp_connect(ftp_server)
    try:
        conn = a.transfercmd("STOR x.bin")
        conn.sendall(new[:MiB])   # ...and hold the transfer open
        wait_for(lambda: (file_size(part_path(home, "x.bin")) or 0) >= MiB, 5,
                 "the first upload's part file")
        busy = _fails(b.storbinary, "STOR x.bin", io.BytesIO(b"second"), code=450)
        assert "busy" in busy.lower(), busy
        _fails(b.storbinary, "APPE x.bin", io.BytesIO(b"second"), code=450)
        _fails(b.storbinary, "STOR /x.bin", io.BytesIO(b"second"), rest=10, code=450)
        # the native protocol sees the same lock
        with ftp_server.login("demo") as n:
            check_error(n.put_open("x.bin", 10), 409, "busy", "native put during an FTP STOR")
        # readers still get the old file
        assert b.retr_bytes("x.bin") == old
        assert (home / "x.bin").read_bytes() == old
        conn.sendall(new[MiB:])
        conn.close()
        assert a.voidresp() == "226 Transfer complete."
        a.voidcmd("NOOP")   # the rename into place precedes the next reply (ftp_uploads.cpp)
        assert (home / "x.bin").read_bytes() == new
        # the lock is gone with the transfer
        b.storbinary("STOR x.bin", io.BytesIO(b"third"))
        assert (home / "x.bin").read_bytes() == b"third"
    finally:
        close_quietly(a)
        close_quietly(b)


def test_native_upload_blocks_ftp_stor(ftp_server):
    home = ftp_server.clean_home("demo")
    data = _data(2 * MiB)
    with ftp_server.login("demo") as n:
        rid = n.alloc_id()
        r = n.put_open("n.bin", len(data), id=rid)
        assert r["status"] == 200, r
        n.put_data(rid, data[:MiB])
        f = ftp_connect(ftp_server)
        try:
            _fails(f.storbinary, "STOR n.bin", io.BytesIO(b"ftp"), code=450)
            n.put_data(rid, data[MiB:])
            from ferry_wire import digest_of
            assert n.put_commit(rid, "xxh128", digest_of("xxh128", data))["status"] == 201
            assert f.retr_bytes("n.bin") == data
        finally:
            close_quietly(f)
    assert (home / "n.bin").read_bytes() == data


# ---------------------------------------------------------------- login throttle


def _failed_pass(f, password="wrong"):
    t0 = time.monotonic()
    _fails(f.login, "demo", password, code=530)
    return time.monotonic() - t0


def test_login_throttle_shared_with_native(ftp_server):
    """Failed FTP logins from one address slow down the next attempt from it
    (250 ms, 500 ms, 1 s, ...), over FTP and over the native protocol alike;
    another address is not slowed down."""
    f = ftp_connect(ftp_server, login=False, source_ip="127.0.0.41")
    try:
        t1 = _failed_pass(f)
        t2 = _failed_pass(f)
    finally:
        close_quietly(f)
    assert t1 >= 0.2, f"first failed FTP login not delayed: {t1:.3f} s"
    assert t2 >= 0.45 and t2 > t1 + 0.15, f"second failure not slower: {t1:.3f} then {t2:.3f} s"
    t0 = time.monotonic()
    with ftp_server.connect(source_ip="127.0.0.41") as c:
        c.hello()
        check_error(c.auth("demo", "wrong"), 401, "auth_failed", "native wrong password")
    t3 = time.monotonic() - t0
    assert t3 >= 0.9, f"the native attempt after two FTP failures was delayed only {t3:.3f} s"
    t0 = time.monotonic()
    g = ftp_connect(ftp_server, source_ip="127.0.0.42")
    close_quietly(g)
    assert time.monotonic() - t0 < 1.0, "a login from another address was slowed down"


def test_too_many_failed_logins_close_the_connection(ftp_server):
    f = ftp_connect(ftp_server, login=False, source_ip="127.0.0.43")
    try:
        for _ in range(3):   # max_auth_attempts = 3
            _failed_pass(f)
        with pytest.raises((EOFError, OSError, ftplib.Error)):
            f.sendcmd("NOOP")
            f.sendcmd("NOOP")
    finally:
        f.close()


# ---------------------------------------------------------------- session limit


def test_session_limit_solo(ftp_server):
    first = ftp_connect(ftp_server, "solo")
    try:
        second = ftp_connect(ftp_server, login=False)
        try:
            text = _fails(second.login, "solo", ftp_server.password("solo"), code=421)
            assert "sessions" in text, text
            with pytest.raises((EOFError, OSError, ftplib.Error)):
                second.sendcmd("NOOP")
        finally:
            second.close()
        # shared with the native protocol
        with ftp_server.connect() as c:
            c.hello()
            check_error(c.auth("solo", ftp_server.password("solo")), 429, "too_many_sessions",
                        "native login while an FTP session of solo is open")
        assert first.pwd() == "/"
    finally:
        close_quietly(first)
    # the slot is released when the first session ends
    deadline = time.monotonic() + 3
    while True:
        g = ftp_connect(ftp_server, login=False)
        try:
            g.login("solo", ftp_server.password("solo"))
            assert g.pwd() == "/"
            break
        except ftplib.error_temp:
            assert time.monotonic() < deadline, "the session slot was never released"
            time.sleep(0.1)
        finally:
            close_quietly(g)
    # and a native session holds the slot against FTP
    n = ftp_server.login("solo")
    try:
        g = ftp_connect(ftp_server, login=False)
        try:
            _fails(g.login, "solo", ftp_server.password("solo"), code=421)
        finally:
            g.close()
    finally:
        n.close()


# ---------------------------------------------------------------- xferlog


def _one_line(server, path, **match):
    def find():
        ls = [f for f in xferlog_lines(server, path)
              if all(f[i] == v for i, v in match.items())]
        return ls or None
    lines = wait_for(find, 5, f"xferlog line of {path}")
    assert len(lines) == 1, lines
    assert lines[0][14] == "ftp", f"service field of an FTP transfer: {lines[0]!r}"
    return lines[0]


def test_xferlog_lines(ftp_server):
    home = ftp_server.clean_home("demo")
    f = ftp_connect(ftp_server)
    try:
        data = _data(123_457)
        f.storbinary("STOR xl put.bin", io.BytesIO(data[:54_321]))
        check_xferlog_line(_one_line(ftp_server, "/xl_put.bin"), "demo", 54_321, "i", "c",
                           "/xl_put.bin")
        (home / "xl-get.bin").write_bytes(data)
        assert f.retr_bytes("xl-get.bin") == data
        check_xferlog_line(_one_line(ftp_server, "/xl-get.bin"), "demo", 123_457, "o", "c",
                           "/xl-get.bin")
        (home / "xl-rest.bin").write_bytes(data)
        assert f.retr_bytes("xl-rest.bin", rest=1000) == data[1000:]
        check_xferlog_line(_one_line(ftp_server, "/xl-rest.bin"), "demo", 122_457, "o", "c",
                           "/xl-rest.bin")
    finally:
        close_quietly(f)


def test_xferlog_aborted_retr(ftp_server):
    """A client that goes away mid-download: an incomplete ("i") line whose
    byte count is what was moved (docs/operations.md), not the file size."""
    home = ftp_server.clean_home("demo")
    size = 32 * MiB
    (home / "xl-big.bin").write_bytes(_data(size))
    f = ftp_connect(ftp_server)
    conn = f.transfercmd("RETR xl-big.bin")
    got = 0
    while got < MiB:
        b = conn.recv(1 << 20)
        assert b, "data connection closed early"
        got += len(b)
    for s in (conn, f.sock):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()   # RST
    f.close()
    line = _one_line(ftp_server, "/xl-big.bin")
    assert line[11] == "o" and line[13] == "demo" and line[17] == "i", line
    moved = int(line[7])
    assert got <= moved < size, (
        f"aborted RETR logged {moved} bytes; the client had received {got} of {size}")
