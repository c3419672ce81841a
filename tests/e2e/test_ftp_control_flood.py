"""Control lines sent while a transfer runs (issue 11): the server keeps only a
few of them for after the transfer. A client that stalls a RETR (never reads
the data connection) and floods the control connection with NOOPs must not
grow the server without bound; ABOR still works, during a transfer and after
such a flood, and everyone else is still served."""

import os
import select
import socket
import time

from ftp_util import RawFTP, ftp_connect
from transfer_util import MiB

FTP_CONFIG = "data_timeout = 5"

FLOOD_BYTES = 200 * MiB
FLOOD_SECONDS = 5.0
# Growth of ferryd's resident memory allowed during the flood. Before the fix
# the server queued every line: measured here, VmRSS went from 12 MiB to
# 1,129 MiB while 200 MiB of NOOPs were sent (in under 5 s). With the queue
# bounded it stays at 12 MiB.
RSS_GROWTH_LIMIT_MIB = 64


def _rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/PID/status")


def _stalled_retr(server, name):
    """A logged-in control connection with a RETR of `name` under way whose
    passive data connection is never read. Returns (control, data socket)."""
    c = RawFTP(server.ftp_port)
    c.login(server)
    c.expect("TYPE I", 200)
    data = c.epsv()
    data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    code, text = c.cmd("RETR " + name)
    assert code == 150, f"RETR: {code} {text}"
    return c, data


def _flood(sock, pid, max_bytes, seconds):
    """Sends NOOP lines without blocking until `max_bytes` are sent or
    `seconds` have passed. Returns (bytes sent, peak RSS in MiB)."""
    chunk = memoryview(b"NOOP\r\n" * (64 * 1024 // 6))
    max_bytes -= max_bytes % 6
    timeout = sock.gettimeout()
    sock.setblocking(False)
    sent, pos, peak = 0, 0, _rss_mib(pid)
    deadline = time.monotonic() + seconds
    next_sample = 0.0
    while sent < max_bytes and time.monotonic() < deadline:
        try:
            # whole lines only: a short send continues where it stopped
            n = sock.send(chunk[pos:min(len(chunk), pos + max_bytes - sent)])
            sent += n
            pos = (pos + n) % len(chunk)
        except BlockingIOError:
            select.select([], [sock], [], 0.05)
        now = time.monotonic()
        if now >= next_sample:
            peak = max(peak, _rss_mib(pid))
            next_sample = now + 0.05
    sock.settimeout(timeout)
    if pos % 6:  # stopped by the clock mid-line: finish the line
        sock.sendall(chunk[pos:pos + 6 - pos % 6])
        sent += 6 - pos % 6
    return sent, max(peak, _rss_mib(pid))


def _big_file(home, name="big.bin", size=256 * MiB):
    with open(home / name, "wb") as f:
        f.truncate(size)  # sparse: quick to make, a long RETR all the same


def test_noop_flood_during_stalled_retr_keeps_memory_bounded(ftp_server):
    home = ftp_server.clean_home("demo")
    _big_file(home)
    pid = ftp_server.proc.pid
    c, data = _stalled_retr(ftp_server, "big.bin")
    try:
        time.sleep(0.2)  # the data connection's buffers fill up
        before = _rss_mib(pid)
        sent, peak = _flood(c.sock, pid, FLOOD_BYTES, FLOOD_SECONDS)
        time.sleep(0.5)
        peak = max(peak, _rss_mib(pid))
        ftp_server.assert_alive()
        print(f"flood: sent {sent / MiB:.0f} MiB; RSS {before:.1f} -> peak {peak:.1f} MiB")
        # (a sanitizer build reads slower: a few MiB are still 100x the bound)
        assert sent >= 4 * MiB, f"the flood sent only {sent} bytes"
        assert peak - before < RSS_GROWTH_LIMIT_MIB, (
            f"ferryd grew from {before:.1f} to {peak:.1f} MiB while the client sent "
            f"{sent / MiB:.0f} MiB of NOOP lines during a stalled RETR")
        # everyone else is still served
        with ftp_connect(ftp_server) as f:
            assert sorted(f.nlst()) == ["big.bin"]
    finally:
        data.close()
        c.close()


def test_abor_after_a_flood_still_answered_then_closed(ftp_server):
    """Past the bound the server reads on only to find ABOR: the ABOR gets its
    426 + 226, the kept lines their replies, then 421 and the connection
    closes (the lines dropped can never be answered)."""
    home = ftp_server.clean_home("demo")
    _big_file(home)
    c, data = _stalled_retr(ftp_server, "big.bin")
    try:
        time.sleep(0.2)
        sent, _ = _flood(c.sock, ftp_server.proc.pid, 4 * MiB, FLOOD_SECONDS)
        assert sent >= MiB, f"the flood sent only {sent} bytes"
        c.sock.settimeout(10)
        c.send(b"ABOR\r\n")
        code, text = c.reply()
        assert code == 426, f"{code} {text}"
        assert c.reply()[0] == 226
        codes = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            code, text = c.reply()
            codes.append(code)
            if code != 200:
                break
        assert codes[-1] == 421, f"after ABOR: {codes[-5:]} ({len(codes)} replies)"
        assert 1 <= len(codes) - 1 <= 64, f"{len(codes) - 1} NOOPs answered"
        c.expect_closed()
    finally:
        data.close()
        c.close()
    with ftp_connect(ftp_server) as f:
        assert f.sendcmd("NOOP").startswith("200")


def test_abor_during_retr_with_commands_queued(ftp_server):
    """A few commands sent during a transfer are answered after it, in order;
    ABOR among them is acted on at once."""
    home = ftp_server.clean_home("demo")
    _big_file(home, size=64 * MiB)
    c, data = _stalled_retr(ftp_server, "big.bin")
    try:
        c.sock.settimeout(10)
        c.send(b"NOOP\r\nPWD\r\nSYST\r\nABOR\r\n")
        assert c.reply()[0] == 426
        assert c.reply()[0] == 226
        assert [c.reply()[0] for _ in range(3)] == [200, 257, 215]
        c.expect("NOOP", 200)
        # and a second transfer on the same session works
        data.close()
        data = c.epsv()
        code, text = c.cmd("NLST")
        assert code == 150, f"{code} {text}"
        data.settimeout(10)
        listing = b""
        while chunk := data.recv(65536):
            listing += chunk
        assert listing == b"big.bin\r\n"
        assert c.reply()[0] == 226
    finally:
        data.close()
        c.close()
