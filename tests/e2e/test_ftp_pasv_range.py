"""A small passive port range serves many transfers in a row: ports of closed
data connections (TIME_WAIT, the server closes first after a RETR) are reused
instead of refusing with 425 once the range has been used up once."""

import io
import socket

from ftp_util import close_quietly, ftp_connect

# Three ports, well away from the ephemeral range the kernel hands out.
FTP_CONFIG = 'pasv_ports = "20901-20903"'


def test_many_retr_through_three_passive_ports(ftp_server):
    home = ftp_server.clean_home("demo")
    (home / "f.bin").write_bytes(b"x" * 1000)
    f = ftp_connect(ftp_server)
    try:
        ports = set()
        for _ in range(12):
            host, port = f.makepasv()
            ports.add(port)
            out = io.BytesIO()
            # makepasv opened a listener; RETR uses the next PASV ftplib sends
            f.retrbinary("RETR f.bin", out.write)
            assert out.getvalue() == b"x" * 1000
        assert ports <= {20901, 20902, 20903}
        # The ports really are in TIME_WAIT on the server side by now, and a
        # listing still gets one.
        assert f.nlst() == ["f.bin"]
    finally:
        close_quietly(f)
