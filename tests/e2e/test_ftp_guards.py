"""FTP guards not covered elsewhere: a passive data connection from another
address is refused (no connection theft) while the real client is served, and
`lftp reput` (put -c) continues an upload through SIZE + REST/APPE."""

import os
import socket

from ftp_util import RawFTP, recv_all, run_lftp

FTP_CONFIG = "data_timeout = 3"


def test_passive_connection_from_other_address_refused(ftp_server):
    home = ftp_server.clean_home("demo")
    payload = os.urandom(200_000)
    (home / "f.bin").write_bytes(payload)
    with RawFTP(ftp_server.ftp_port) as c:
        c.login(ftp_server)
        port = c.epsv_port()
        # A thief on another local address races for the passive port first.
        thief = socket.create_connection(("127.0.0.1", port), timeout=5,
                                         source_address=("127.0.0.2", 0))
        c.send(b"RETR f.bin\r\n")
        code, text = c.reply()
        assert code == 150, text
        mine = socket.create_connection(("127.0.0.1", port), timeout=5)
        assert recv_all(mine) == payload
        mine.close()
        code, text = c.reply()
        assert code == 226, text
        thief.settimeout(5)
        try:
            stolen = thief.recv(65536)
        except ConnectionResetError:
            stolen = b""
        assert stolen == b"", "the data went to a connection from another address"
        thief.close()
    assert "refused data connection from 127.0.0.2" in ftp_server.log_tail()


def test_lftp_reput_continues_upload(ftp_server, tmp_path):
    home = ftp_server.clean_home("many")
    data = os.urandom(3 * 1024 * 1024 + 17)
    (home / "r.bin").write_bytes(data[:1024 * 1024])  # an earlier, cut-short upload
    local = tmp_path / "r.bin"
    local.write_bytes(data)
    r = run_lftp(ftp_server, f"put -c {local} -o r.bin")
    assert r.returncode == 0, r.stderr.decode("utf-8", "replace")
    assert (home / "r.bin").read_bytes() == data
    assert not (home / ".r.bin.ferry-part").exists()
