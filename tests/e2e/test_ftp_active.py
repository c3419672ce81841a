"""Active mode (PORT/EPRT) with `active = true`: data connections go only to
the control connection's own address (no FTP bounce), and ftplib's active
mode (set_pasv(False)) works end to end."""

import io
import os
import select
import socket

from ftp_util import RawFTP, close_quietly, ftp_connect, recv_all
from transfer_util import MiB

FTP_CONFIG = "active = true\ndata_timeout = 2"


def _port_arg(host, port):
    return ",".join(host.split(".") + [str(port // 256), str(port % 256)])


def _listener(host):
    s = socket.socket()
    s.bind((host, 0))
    s.listen(4)
    return s


def _no_connection(listener, wait=0.5):
    r, _, _ = select.select([listener], [], [], wait)
    return not r


def test_port_to_foreign_address_refused(ftp_server):
    home = ftp_server.clean_home("demo")
    (home / "f.bin").write_bytes(b"payload")
    # 127.0.0.2 is reachable (a bounce would work) but is not the client's address
    bait = _listener("127.0.0.2")
    bport = bait.getsockname()[1]
    try:
        with RawFTP(ftp_server.ftp_port) as c:
            c.login(ftp_server)
            for cmd in [f"PORT {_port_arg('127.0.0.2', bport)}", "PORT 10,11,12,13,4,1",
                        "PORT 8,8,8,8,0,21", f"EPRT |1|127.0.0.2|{bport}|",
                        "EPRT |1|192.0.2.1|21|", "EPRT |2|::1|2121|"]:
                code, text = c.cmd(cmd)
                assert code == 500 and "Illegal" in text, (cmd, text)
                # nothing was set up: the transfer asks for PORT or PASV
                assert c.cmd("RETR f.bin") == (425, "425 Use PORT or PASV first."), cmd
            assert _no_connection(bait), "the server connected to a foreign PORT address"
            # malformed arguments
            for cmd in ["PORT 127,0,0,1,0,0", "PORT 127,0,0,1,300,1", "PORT 127,0,0,1,1",
                        "PORT 127,0,0,1,1,2,3", "PORT a,b,c,d,e,f", "EPRT |3|127.0.0.1|5000|",
                        "EPRT |1|127.0.0.1|0|", "EPRT |1|127.0.0.1|99999|", "EPRT garbage"]:
                assert c.cmd(cmd)[0] == 501, cmd
            assert c.cmd("NOOP")[0] == 200
    finally:
        bait.close()


def test_port_to_own_address_with_ftplib(ftp_server):
    home = ftp_server.clean_home("demo")
    data = os.urandom(2 * MiB + 3)
    f = ftp_connect(ftp_server)
    try:
        f.set_pasv(False)
        assert f.storbinary("STOR a.bin", io.BytesIO(data)) == "226 Transfer complete."
        assert (home / "a.bin").read_bytes() == data
        assert f.retr_bytes("a.bin") == data
        assert f.retr_bytes("a.bin", rest=MiB) == data[MiB:]
        assert f.nlst() == ["a.bin"]
        assert [n for n, _ in f.mlsd()] == ["a.bin"]
        # passive mode still works alongside
        f.set_pasv(True)
        assert f.retr_bytes("a.bin") == data
    finally:
        close_quietly(f)


def test_eprt_to_own_address(ftp_server):
    home = ftp_server.clean_home("demo")
    data = os.urandom(100_000)
    (home / "e.bin").write_bytes(data)
    lst = _listener("127.0.0.1")
    try:
        with RawFTP(ftp_server.ftp_port) as c:
            c.login(ftp_server)
            code, text = c.cmd(f"EPRT |1|127.0.0.1|{lst.getsockname()[1]}|")
            assert code == 200, text
            assert c.cmd("RETR e.bin")[0] == 150
            lst.settimeout(5)
            d, _ = lst.accept()
            assert recv_all(d) == data
            d.close()
            assert c.reply()[0] == 226
    finally:
        lst.close()


def test_port_nobody_listening(ftp_server):
    """PORT to a closed port of the client: 425, and the session goes on."""
    home = ftp_server.clean_home("demo")
    (home / "f").write_bytes(b"x")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with RawFTP(ftp_server.ftp_port) as c:
        c.login(ftp_server)
        assert c.cmd(f"PORT {_port_arg('127.0.0.1', port)}")[0] == 200
        assert c.cmd("RETR f")[0] == 150
        assert c.reply() == (425, "425 Failed to establish connection.")
        assert c.cmd("NOOP")[0] == 200


def test_port_to_privileged_port_refused(ftp_server):
    """PORT/EPRT to a port below 1024 are refused even to the client's own
    address (vsftpd's rule, issue 11): the server would talk to the service
    there (SMTP, a shell trusting port 20, ...) with bytes the client chose."""
    home = ftp_server.clean_home("demo")
    (home / "f").write_bytes(b"x")
    with RawFTP(ftp_server.ftp_port) as c:
        c.login(ftp_server)
        for cmd in ["PORT 127,0,0,1,0,21", "PORT 127,0,0,1,0,25", "PORT 127,0,0,1,3,255",
                    "EPRT |1|127.0.0.1|22|", "EPRT |1|127.0.0.1|1023|"]:
            code, text = c.cmd(cmd)
            assert code == 500 and "privileged port" in text, (cmd, text)
            # nothing was set up: the transfer asks for PORT or PASV
            assert c.cmd("RETR f") == (425, "425 Use PORT or PASV first."), cmd
        # the first unprivileged port is fine
        assert c.cmd("PORT 127,0,0,1,4,0")[0] == 200
        assert c.cmd("EPRT |1|127.0.0.1|1024|")[0] == 200
        assert c.cmd("NOOP")[0] == 200
