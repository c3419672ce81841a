"""Every name costs quota (issue 11, bug 5): a file, directory or part file is
charged its blocks, at least one (4096 bytes), so one-byte files and empty
directories cannot fill the shared filesystem's blocks and inodes for free
(counting sizes alone, 20,000 of each cost 20 KB of quota and 157 MiB of
disk). quser has 100 MiB; a sparse 99 MiB file (charged its length) leaves
1 MiB. The rule is src/vfs/disk_charge.hpp (quota_util.py computes it)."""

import os

from ferry_wire import check_error, digest_of, encode_frame
from quota_util import charge_of, walk

MiB = 1 << 20
BLOCK = 4096


def _fill(home):
    with open(home / "filler", "wb") as f:
        f.truncate(99 * MiB)


def test_one_byte_files_and_empty_dirs_cost_a_block(server):
    home = server.clean_home("quser")
    _fill(home)
    with server.login("quser") as c:
        used0 = c.ok("quota")["used"]
        assert used0 == 99 * MiB, used0
        # Pipelined inline puts of one byte each until the quota says no.
        frames = b"".join(encode_frame({"op": "put", "id": 1000 + i, "path": f"f{i}", "size": 1,
                                        "algo": "xxh128", "digest": digest_of("xxh128", b"x")}, b"x")
                          for i in range(600))
        c.send_raw(frames)
        codes = [c.recv_header()["status"] for _ in range(600)]
        made = codes.count(201)
        assert set(codes) == {201, 413}, set(codes)
        # A block; on ext4 with 256-byte inodes a second one for the cached
        # digest (an xattr too big for the inode): what the disk holds.
        per_file = charge_of(home / "f0")
        assert per_file in (BLOCK, 2 * BLOCK), per_file
        room = 100 * MiB - used0
        assert made == room // per_file, f"{made} one-byte files in {room} bytes of quota"
        assert c.ok("quota")["used"] == used0 + made * per_file == walk(home)[0]
        check_error(c.req("mkdir", path="d"), 413, "quota_exceeded", "mkdir with no block left")
        assert not (home / "d").exists()
        c.ok("rm", path="f0")
        c.ok("rm", path="f1")
        assert c.ok("mkdir", path="d")["status"] == 201, "an rm gives back the name's blocks"
        assert c.ok("quota")["used"] == used0 + (made - 2) * per_file + BLOCK == walk(home)[0]
        c.ok("rmdir", path="d")
        assert c.ok("quota")["used"] == used0 + (made - 2) * per_file
    server.clean_home("quser")


FTP_CONFIG = ""


def test_ftp_mkd_at_the_limit_is_refused(ftp_server):
    import ftplib
    import ftp_util
    home = ftp_server.clean_home("quser")
    with open(home / "filler", "wb") as f:
        f.truncate(100 * MiB)  # charged its length: no block left
    f = ftp_util.ftp_connect(ftp_server, "quser")
    try:
        try:
            f.mkd("x")
            raise AssertionError("MKD past the quota succeeded")
        except ftplib.error_perm as e:
            assert str(e).startswith("552"), e
        assert not (home / "x").exists()
    finally:
        ftp_util.close_quietly(f)
    os.unlink(home / "filler")
