"""Malformed and hostile FTP input (data_timeout = 2 s): overlong command
lines, commands before login, unknown commands, non-UTF-8 bytes in paths, a
client that opens a passive port and never connects, and a client killed in
the middle of a STOR. After each, the session or at least the server keeps
working."""

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from ftp_util import RawFTP, close_quietly, ftp_connect, recv_all, stor_when_free
from transfer_util import (MiB, check_xferlog_line, file_size, part_path, wait_for,
                           xferlog_lines)

FTP_CONFIG = "data_timeout = 2"
DATA_TIMEOUT = 2.0


def _raw(server, login=True, **kw):
    c = RawFTP(server.ftp_port, **kw)
    if login:
        c.login(server)
    return c


# ---------------------------------------------------------------- command lines


@pytest.mark.parametrize("length", [8193, 9000, 20_000, 200_000])
def test_overlong_line(ftp_server, length):
    home = ftp_server.clean_home("demo")
    with _raw(ftp_server) as c:
        code, text = c.cmd(b"MKD " + b"x" * (length - 4))
        assert (code, text) == (500, "500 Command line too long."), (code, text)
        # exactly one reply for it: the next reply belongs to the next command
        assert c.cmd("NOOP")[0] == 200
        assert c.cmd("PWD") == (257, '257 "/" is the current directory')
        assert os.listdir(home) == [], "a part of the overlong line was run as a command"
        # a long line that arrives in pieces, with a command hidden at its end
        c.send(b"NOOP " + b"y" * 6000)
        time.sleep(0.05)
        c.send(b"z" * 6000 + b"\r\nMKD after\r\n")
        assert c.reply() == (500, "500 Command line too long.")
        assert c.reply()[0] == 257
        assert os.listdir(home) == ["after"]


def test_overlong_line_before_login(ftp_server):
    with _raw(ftp_server, login=False) as c:
        assert c.cmd(b"USER " + b"u" * 10_000)[0] == 500
        c.login(ftp_server)
        assert c.cmd("PWD")[0] == 257


def test_line_of_exactly_the_limit_is_a_command(ftp_server):
    """A line of 8 KiB with its CRLF is a command (here with a name too long
    for the file system)."""
    with _raw(ftp_server) as c:
        code, _ = c.cmd(b"MKD " + b"n" * (8192 - 6))
        assert code not in (500,), f"a line of 8192 bytes was refused as too long: {code}"
        assert c.cmd("NOOP")[0] == 200


def test_commands_before_login(ftp_server):
    home = ftp_server.clean_home("demo")
    (home / "f.txt").write_bytes(b"secret")
    with _raw(ftp_server, login=False) as c:
        for cmd in ["PWD", "CWD /", "CDUP", "MKD preauth", "RMD x", "DELE f.txt", "RNFR f.txt",
                    "RNTO g.txt", "SIZE f.txt", "MDTM f.txt", "MLST f.txt", "HASH f.txt",
                    "REST 5", "PASV", "EPSV", "PORT 127,0,0,1,200,1", "LIST", "NLST", "MLSD",
                    "RETR f.txt", "STOR x", "APPE x", "STOU", "STAT", "TYPE I", "ABOR"]:
            assert c.cmd(cmd) == (530, "530 Please login with USER and PASS."), cmd
        # still alive, and a login works afterwards
        c.login(ftp_server)
        assert c.cmd("PWD")[0] == 257
    assert sorted(os.listdir(home)) == ["f.txt"]
    assert (home / "f.txt").read_bytes() == b"secret"


def test_unknown_and_garbage_commands(ftp_server):
    for login in (False, True):
        with _raw(ftp_server, login=login) as c:
            for cmd in [b"XYZZ", b"SITE CHMOD 777 x", b"HOST example.com", b"XXXX arg"]:
                assert c.cmd(cmd) == (500, "500 Unknown command."), cmd
            for cmd in [b"TOOLONGVERB x", b"", b"   ", b"N0OP", b"\x01\x02", b"\xc3\xa9TAT"]:
                code, _ = c.cmd(cmd)
                assert code == 500, (cmd, code)
            # lower case and bare LF line ends are fine
            assert c.cmd(b"noop")[0] == 200
            c.send(b"NOOP\n")
            assert c.reply()[0] == 200
            # several commands in one packet each get their reply, in order
            c.send(b"NOOP\r\nSYST\r\nNOOP\r\n")
            assert [c.reply()[0] for _ in range(3)] == [200, 215, 200]


def test_missing_arguments(ftp_server):
    with _raw(ftp_server) as c:
        for cmd in ["CWD", "MKD", "RMD", "DELE", "RNFR", "SIZE", "RETR", "STOR", "REST", "USER"]:
            assert c.cmd(cmd)[0] == 501, cmd
        assert c.cmd("NOOP")[0] == 200


@pytest.mark.parametrize("bad", [b"\xc3\x28", b"\xfe", b"\x80abc", b"\xc0\xaf", b"a\xed\xa0\x80b",
                                 b"\xf8\x88\x80\x80\x80"],
                         ids=["bad-continuation", "fe", "lone-continuation", "overlong-slash",
                              "surrogate", "5-byte"])
def test_non_utf8_path(ftp_server, bad):
    home = ftp_server.clean_home("demo")
    (home / "d").mkdir()
    with _raw(ftp_server) as c:
        for cmd in [b"MKD ", b"CWD ", b"DELE ", b"RMD ", b"RNFR ", b"SIZE ", b"MDTM ", b"HASH ",
                    b"MLST ", b"STAT "]:
            code, text = c.cmd(cmd + bad)
            assert code == 553, (cmd + bad, text)
        for cmd in [b"STOR ", b"RETR ", b"APPE ", b"LIST ", b"NLST ", b"MLSD "]:
            data = c.epsv()
            code, text = c.cmd(cmd + b"d/" + bad)
            data.close()
            assert code == 553, (cmd + bad, text)
        assert c.cmd("PWD")[1] == '257 "/" is the current directory'
        assert c.cmd("NOOP")[0] == 200
    assert os.listdir(home) == ["d"] and os.listdir(home / "d") == [], (
        "a refused name created something")


def test_nul_byte_in_path(ftp_server):
    home = ftp_server.clean_home("demo")
    with _raw(ftp_server) as c:
        code, _ = c.cmd(b"MKD a\x00b")
        assert code in (501, 550, 553), code
        assert c.cmd("NOOP")[0] == 200
    assert os.listdir(home) == []


# ---------------------------------------------------------------- data connections


def test_transfers_without_pasv(ftp_server):
    home = ftp_server.clean_home("demo")
    (home / "f").write_bytes(b"x")
    with _raw(ftp_server) as c:
        for cmd in ["RETR f", "STOR g", "APPE g", "LIST", "NLST", "MLSD"]:
            assert c.cmd(cmd) == (425, "425 Use PORT or PASV first."), cmd
    assert sorted(os.listdir(home)) == ["f"]


def test_pasv_never_connected(ftp_server):
    """RETR / STOR / LIST after PASV, and the client never connects: 425 after
    data_timeout, no file left behind, and other clients are served
    meanwhile."""
    home = ftp_server.clean_home("demo")
    data = os.urandom(3 * MiB)
    (home / "f.bin").write_bytes(data)
    results = {}

    def stall(cmd, key):
        with _raw(ftp_server) as c:
            code, text = c.cmd("PASV")
            assert code == 227, text
            t0 = time.monotonic()
            first = c.cmd(cmd)
            second = c.reply() if first[0] == 150 else None
            results[key] = (first, second, time.monotonic() - t0, c.cmd("NOOP"))

    threads = [threading.Thread(target=stall, args=(cmd, key))
               for cmd, key in [("RETR f.bin", "retr"), ("STOR new.bin", "stor"),
                                ("LIST", "list")]]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(0.2)
    # meanwhile another client gets full service
    served = 0
    with ftp_connect(ftp_server) as other:
        while time.monotonic() - t0 < DATA_TIMEOUT - 0.5:
            assert other.retr_bytes("f.bin") == data
            served += 1
    assert served >= 2, "another client was not served while the data connections stalled"
    for t in threads:
        t.join(DATA_TIMEOUT + 8)
    for key in ("retr", "stor", "list"):
        assert key in results, f"{key}: the stalled session never answered"
        first, second, took, noop = results[key]
        assert first[0] == 150, (key, first)
        assert second == (425, "425 Failed to establish connection."), (key, second)
        assert DATA_TIMEOUT - 0.5 <= took <= DATA_TIMEOUT + 3, (
            f"{key}: 425 after {took:.2f} s with data_timeout = {DATA_TIMEOUT}")
        assert noop[0] == 200, (key, noop)
    assert sorted(os.listdir(home)) == ["f.bin"], (
        f"a STOR without a data connection left files: {sorted(os.listdir(home))}")


def test_pasv_port_refuses_other_connections_after_use(ftp_server):
    """The passive port serves one transfer; afterwards it is closed."""
    home = ftp_server.clean_home("demo")
    (home / "f").write_bytes(b"abc")
    with _raw(ftp_server) as c:
        port = c.epsv_port()
        d = socket.create_connection(("127.0.0.1", port), timeout=5)
        assert c.cmd("RETR f")[0] == 150
        assert recv_all(d) == b"abc"
        d.close()
        assert c.reply()[0] == 226
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        # and the next transfer needs a new PASV
        assert c.cmd("RETR f")[0] == 425


_CHILD = r"""
import socket, sys, re, time
port, user, password, name, nbytes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
c = socket.create_connection(("127.0.0.1", int(port)))
f = c.makefile("rb")
def reply():
    line = f.readline()
    while line[3:4] == b"-":
        line = f.readline()
    return line
assert reply().startswith(b"220")
c.sendall(b"USER " + user.encode() + b"\r\n"); assert reply().startswith(b"331")
c.sendall(b"PASS " + password.encode() + b"\r\n"); assert reply().startswith(b"230")
c.sendall(b"EPSV\r\n"); r = reply(); dport = int(re.search(rb"\|\|\|(\d+)\|", r).group(1))
d = socket.create_connection(("127.0.0.1", dport))
c.sendall(b"STOR " + name.encode() + b"\r\n"); assert reply().startswith(b"150")
d.sendall(sys.stdin.buffer.read(nbytes))
print("sent", flush=True)
time.sleep(60)
"""


def _killed_mid_stor(server, name, data, nbytes):
    """A child process STORs `data`[:nbytes] and is SIGKILLed while the upload
    is open (its kernel closes both sockets)."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(server.ftp_port), "demo", server.password("demo"),
         name, str(nbytes)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        child.stdin.write(data[:nbytes])
        child.stdin.close()
        assert child.stdout.readline() == b"sent\n", "the uploading child failed"
        home = server.home("demo")
        wait_for(lambda: file_size(part_path(home, name)) == nbytes, 5,
                 "the server to receive the sent bytes")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(5)


def test_client_killed_mid_stor(ftp_server):
    """A client process killed mid-STOR: its kernel closes both sockets, the
    data one first (fds are released last-closed-first), so the server sees
    EOF on the data connection just before the control connection goes. That
    is not a complete upload. Three rounds, as the order is a race."""
    home = ftp_server.clean_home("demo")
    data = os.urandom(4 * MiB)
    sent = 2 * MiB + 5
    for i in range(3):
        name = f"k{i}.bin"
        _killed_mid_stor(ftp_server, name, data, sent)
        line = wait_for(lambda: xferlog_lines(ftp_server, f"/{name}"), 5,
                        "xferlog line of the kill")
        assert not (home / name).exists(), (
            f"round {i}: a killed upload appeared under the real name "
            f"({(home / name).stat().st_size} of {len(data)} bytes)")
        assert len(line) == 1, line
        check_xferlog_line(line[0], "demo", sent, "i", "i", f"/{name}")
        part = part_path(home, name)
        if part.exists():
            assert part.read_bytes() == data[:part.stat().st_size], "the kept part is not a prefix"
    # the server keeps serving, and the path is free again
    f = ftp_connect(ftp_server)
    try:
        assert f.sendcmd("NOOP").startswith("200")
        part = part_path(home, "k0.bin")
        if part.exists():
            assert f.size("k0.bin") == part.stat().st_size
        stor_when_free(f, "k0.bin", data)
        assert (home / "k0.bin").read_bytes() == data
        assert not part.exists()
    finally:
        close_quietly(f)


def test_client_killed_mid_stor_keeps_old_file(ftp_server):
    home = ftp_server.clean_home("demo")
    old = os.urandom(100_000)
    data = os.urandom(3 * MiB)
    for i in range(3):
        (home / "keep.bin").write_bytes(old)
        before = len(xferlog_lines(ftp_server, "/keep.bin"))
        _killed_mid_stor(ftp_server, "keep.bin", data, MiB)
        wait_for(lambda: len(xferlog_lines(ftp_server, "/keep.bin")) > before, 5,
                 "xferlog line of the kill")
        assert (home / "keep.bin").read_bytes() == old, (
            f"round {i}: a killed upload replaced the old file")
    with ftp_connect(ftp_server) as f:
        assert f.retr_bytes("keep.bin") == old
        # and resuming it (REST + STOR from the part's length) completes it
        part = part_path(home, "keep.bin")
        have = file_size(part) or 0
        f.storbinary("STOR keep.bin", io.BytesIO(data[have:]), rest=have)
        assert (home / "keep.bin").read_bytes() == data


def test_abor_during_retr(ftp_server):
    home = ftp_server.clean_home("demo")
    (home / "big.bin").write_bytes(os.urandom(32 * MiB))
    with ftp_connect(ftp_server) as f:
        conn = f.transfercmd("RETR big.bin")
        conn.recv(65536)
        f.sock.sendall(b"ABOR\r\n")
        resp = f.getmultiline()
        conn.close()
        assert resp.startswith("426 "), resp
        assert f.getmultiline().startswith("226 ")
        assert f.sendcmd("NOOP").startswith("200")
        assert f.retr_bytes("big.bin", rest=32 * MiB - 10) == (home / "big.bin").read_bytes()[-10:]


def test_ftplib_abort_sent_as_urgent_data(ftp_server):
    """ftplib's abort() sends "ABOR\\r\\n" with MSG_OOB (RFC 959 sends ABOR
    with the Telnet Synch, i.e. as urgent data), so the last byte arrives as
    urgent data: the server must still see the whole line."""
    home = ftp_server.clean_home("demo")
    (home / "big.bin").write_bytes(os.urandom(32 * MiB))
    f = ftp_connect(ftp_server, timeout=4)
    try:
        conn = f.transfercmd("RETR big.bin")
        conn.recv(65536)
        try:
            resp = f.abort()
        except TimeoutError:
            pytest.fail("no reply to ftplib's abort() (ABOR sent with MSG_OOB) within 4 s")
        conn.close()
        assert resp[:3] in ("426", "225", "226"), resp
        # after a 426, the 226 of the ABOR itself
        if resp.startswith("426"):
            assert f.getmultiline().startswith("226 ")
        assert f.sendcmd("NOOP").startswith("200")
    finally:
        f.close()


def test_abor_during_stor_keeps_part(ftp_server):
    """ABOR mid-STOR: 426 + 226, nothing under the real name, the part file
    (a prefix of what was sent) kept for a resume."""
    home = ftp_server.clean_home("demo")
    data = os.urandom(3 * MiB)
    with ftp_connect(ftp_server) as f:
        conn = f.transfercmd("STOR ab.bin")
        conn.sendall(data[:MiB])
        part = part_path(home, "ab.bin")
        wait_for(lambda: file_size(part) == MiB, 5, "the part file to reach 1 MiB")
        f.sock.sendall(b"ABOR\r\n")
        assert f.getmultiline().startswith("426 ")
        assert f.getmultiline().startswith("226 ")
        conn.close()
        assert not (home / "ab.bin").exists(), "an aborted STOR was committed"
        assert part.read_bytes() == data[:MiB]
        assert f.size("ab.bin") == MiB
        f.storbinary("APPE ab.bin", io.BytesIO(data[MiB:]))
        assert (home / "ab.bin").read_bytes() == data
        assert not part.exists()
