"""ftp.encoding = "gbk": names cross the control and data connections in GBK
while the disk keeps UTF-8; a name GBK cannot represent (an emoji) is left
out of listings without breaking them; bytes that are not GBK are refused."""

import io
import os

from ftp_util import RawFTP, close_quietly, ftp_connect, recv_all

FTP_CONFIG = 'encoding = "gbk"'

REPRESENTABLE = ["中文名.txt", "plain.txt", "目录", "a 空格 b.bin"]
UNREPRESENTABLE = ["😀.txt", "a😀", "zz 🚀 end.bin"]


def _setup(server):
    home = server.clean_home("demo")
    for n in REPRESENTABLE + UNREPRESENTABLE:
        if n == "目录":
            (home / n).mkdir()
            (home / n / "文件.bin").write_bytes(b"inner file")
        else:
            (home / n).write_bytes(n.encode("utf-8") * 10)
    return home


def test_gbk_listings_skip_unrepresentable(ftp_server):
    home = _setup(ftp_server)
    f = ftp_connect(ftp_server, encoding="gbk")
    try:
        assert sorted(f.nlst()) == sorted(REPRESENTABLE)
        assert sorted(n for n, _ in f.mlsd()) == sorted(REPRESENTABLE)
        lines = f.lines("LIST")
        assert sorted(ln.split(None, 8)[8] for ln in lines) == sorted(REPRESENTABLE), lines
        by_name = {ln.split(None, 8)[8]: ln for ln in lines}
        assert by_name["中文名.txt"].split()[4] == str(len("中文名.txt".encode()) * 10)
        st = f.sendcmd("STAT /").split("\n")
        assert sorted(ln.split(None, 8)[8] for ln in st[1:-1]) == sorted(REPRESENTABLE), st
        # the files are all still there
        assert sorted(os.listdir(home)) == sorted(REPRESENTABLE + UNREPRESENTABLE)
    finally:
        close_quietly(f)


def test_gbk_bytes_on_the_wire(ftp_server):
    """The raw bytes are GBK, not UTF-8."""
    _setup(ftp_server)
    with RawFTP(ftp_server.ftp_port) as c:
        c.login(ftp_server)
        d = c.epsv()
        assert c.cmd("NLST")[0] == 150
        raw = recv_all(d)
        d.close()
        assert c.reply()[0] == 226
        assert sorted(raw.split(b"\r\n")[:-1]) == sorted(n.encode("gbk") for n in REPRESENTABLE)
        assert "中文名.txt".encode("utf-8") not in raw


def test_gbk_transfers_and_names(ftp_server):
    home = _setup(ftp_server)
    f = ftp_connect(ftp_server, encoding="gbk")
    try:
        assert f.retr_bytes("中文名.txt") == ("中文名.txt".encode("utf-8") * 10)
        assert f.size("中文名.txt") == len("中文名.txt".encode("utf-8")) * 10
        f.cwd("目录")
        assert f.pwd() == "/目录"
        assert f.nlst() == ["文件.bin"]
        assert f.retr_bytes("文件.bin") == b"inner file"
        data = os.urandom(70_000)
        f.storbinary("STOR 新文件 上传.bin", io.BytesIO(data))
        assert (home / "目录" / "新文件 上传.bin").read_bytes() == data
        assert f.mkd("新目录") == "/目录/新目录"
        assert (home / "目录" / "新目录").is_dir()
        f.rename("新文件 上传.bin", "新目录/改名.bin")
        assert (home / "目录" / "新目录" / "改名.bin").read_bytes() == data
        h = f.sendcmd("HASH 新目录/改名.bin")
        assert h.endswith(" /目录/新目录/改名.bin"), h
    finally:
        close_quietly(f)


def test_gbk_invalid_bytes_refused(ftp_server):
    home = _setup(ftp_server)
    with RawFTP(ftp_server.ftp_port) as c:
        c.login(ftp_server)
        for cmd in [b"MKD bad\x81\x7fname", b"CWD \x81\x7f", b"DELE \x81\x7f.txt",
                    b"SIZE \x81"]:
            code, text = c.cmd(cmd)
            assert code == 553, (cmd, text)
        d = c.epsv()
        assert c.cmd(b"STOR x\x81\x7f.bin")[0] == 553
        d.close()
        # the UTF-8 spelling of a name is not GBK for it (and is not that file)
        code, _ = c.cmd("SIZE 中文名.txt".encode("utf-8"))
        assert code in (550, 553), code
        assert c.cmd("NOOP")[0] == 200
    assert sorted(os.listdir(home)) == sorted(REPRESENTABLE + UNREPRESENTABLE)
