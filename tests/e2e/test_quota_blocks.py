"""The quota charges what the disk holds (issue 11, bug 5). Counting sizes
alone, 20,000 one-byte files and 20,000 directories cost 20 KB of quota and
157 MiB of disk. Every name now costs its allocated blocks, at least one
4 KiB unit (src/vfs/disk_charge.hpp; quota_util.py computes the same rule
from lstat), and a directory that grows as names are added is charged its
growth. The live ledger must always be what a fresh walk of the home says:
after any mix of put, rm, mkdir, rmdir, mv, FTP uploads and aborted uploads,
the `quota` reply equals the rule applied to the disk, and so does a fresh
login's walk."""

import ftplib
import io
import os
import signal

import pytest

import conftest
from conftest import must_ferryd
from ferry_wire import check_error, digest_of, encode_frame
from ftp_util import close_quietly, ftp_connect
from quota_util import UNIT, charge_of, walk
from transfer_util import MiB, part_path, put_open_when_free, wait_for

FTP_CONFIG = ""
TINY = "tiny"
TINY_PASSWORD = "tiny-pass"
TINY_LIMIT = 1 * MiB


@pytest.fixture(scope="module")
def tiny(ftp_server):
    """An account with a 1 MiB quota (256 units)."""
    must_ferryd("user", "add", TINY, "--root", ftp_server.root, "--password-stdin",
                "--quota", "1MiB", input=TINY_PASSWORD + "\n")
    ftp_server.proc.send_signal(signal.SIGHUP)

    def ready():
        try:
            with _login(ftp_server) as c:
                return c.ok("quota")["limit"] == TINY_LIMIT
        except AssertionError:
            return False  # the accounts file is not re-read yet

    wait_for(ready, 5, "the new account")
    return ftp_server.root / "home" / TINY


def _login(server, user=TINY, password=TINY_PASSWORD):
    c = conftest.Conn(server.port)
    c.login(user, password)
    return c


def _clean(home):
    for p in home.iterdir():
        if p.is_dir() and not p.is_symlink():
            import shutil
            shutil.rmtree(p)
        else:
            p.unlink()


def _ledger(c):
    q = c.ok("quota")
    return q["used"], q["files"]


def test_one_byte_files_exhaust_the_quota_at_the_block_rate(ftp_server, tiny):
    _clean(tiny)
    with _login(ftp_server) as c:
        n = 400
        frames = b"".join(encode_frame({"op": "put", "id": 1000 + i, "path": f"f{i}", "size": 1,
                                        "algo": "xxh128", "digest": digest_of("xxh128", b"x")}, b"x")
                          for i in range(n))
        c.send_raw(frames)
        codes = [c.recv_header()["status"] for _ in range(n)]
        made = codes.count(201)
        assert set(codes) == {201, 413}, set(codes)
        assert codes == [201] * made + [413] * (n - made), "refused from the first that did not fit"
        # A block each; on ext4 with 256-byte inodes another for the cached
        # digest (an xattr too big for the inode). 4097 bytes each before.
        per_file = charge_of(tiny / "f0")
        assert per_file % UNIT == 0 and per_file >= UNIT, per_file
        assert made == TINY_LIMIT // per_file, f"{made} one-byte files in a 1 MiB quota, {per_file} each"
        used, files = _ledger(c)
        assert (used, files) == walk(tiny), "the ledger is what the disk holds"
        assert files == made and used == made * per_file <= TINY_LIMIT
        check_error(c.req("mkdir", path="d"), 413, "quota_exceeded", "mkdir with no block left")
        assert sorted(os.listdir(tiny)) == sorted(f"f{i}" for i in range(made)), "refused puts left nothing"
    _clean(tiny)


def test_empty_directories_exhaust_the_quota_at_the_block_rate(ftp_server, tiny):
    _clean(tiny)
    # Long names: the home directory grows past its first block as they are
    # added (ext4: ~19 such entries per block), and that growth is charged.
    names = [f"{i:03d}" + "d" * 200 for i in range(300)]
    with _login(ftp_server) as c:
        made = 0
        for name in names:
            r = c.req("mkdir", path=name)
            if r["status"] != 201:
                check_error(r, 413, "quota_exceeded", f"mkdir number {made + 1}")
                break
            made += 1
        used, files = _ledger(c)
        assert (used, files) == walk(tiny), "directories and the home's growth, as the disk holds them"
        assert files == made
        assert TINY_LIMIT - UNIT < used <= TINY_LIMIT, used
        assert made <= TINY_LIMIT // UNIT
        assert not (tiny / names[made]).exists()
        for name in names[:made:2]:
            c.ok("rmdir", path=name)
        assert _ledger(c) == walk(tiny), "rmdir gives back what the walk stops counting"
    _clean(tiny)


def test_the_ledger_is_what_a_fresh_walk_says_after_mixed_operations(ftp_server):
    home = ftp_server.clean_home("quser")  # 100 MiB, the server's max_files
    # Before login, behind the server's back: a sparse file (charged its
    # length), an odd size, a hard link (each name charged) and a symlink.
    with open(home / "sparse", "wb") as fh:
        fh.truncate(10 * MiB + 3)
    (home / "odd").write_bytes(os.urandom(12345))
    os.link(home / "odd", home / "odd.link")
    os.symlink("odd", home / "ln")

    c = ftp_server.login("quser")
    f = ftp_connect(ftp_server, "quser")
    try:
        assert _ledger(c) == walk(home), "the login walk"
        c.ok("mkdir", path="sizes")
        for size in (0, 1, 4095, 4096, 4097, 8193):
            assert c.put_inline(f"sizes/s{size}", os.urandom(size))["status"] == 201, size
        put, commit = c.put_file("big", os.urandom(MiB + 1))
        assert commit["status"] == 201, commit
        assert _ledger(c) == walk(home), "puts of 0, 1, 4095, 4096, 4097, 8193 and 1 MiB + 1 bytes"

        c.ok("mkdir", path="a/b/c", parents=True)
        grown = [f"{i:02d}" + "g" * 200 for i in range(40)]
        c.ok("mkdir", path="grow")
        for name in grown:
            c.ok("mkdir", path=f"grow/{name}")
        for name in grown[::2]:
            c.ok("mv", **{"from": f"grow/{name}", "to": "a/b"})
        for name in grown[1::4]:
            c.ok("rmdir", path=f"grow/{name}")
        assert _ledger(c) == walk(home), "mkdir -p, a directory grown by long names, mv, rmdir"

        c.ok("rm", path="sparse")
        c.ok("rm", path="odd.link")
        c.ok("mv", **{"from": "odd", "to": "a/odd"})
        c.ok("rm", path="ln")
        assert c.put_inline("big", os.urandom(5000))["status"] == 201  # replaced by a smaller one
        put, commit = c.put_file("sizes/s1", os.urandom(3 * MiB + 7))  # by a bigger one
        assert commit["status"] == 201, commit
        r = c.put_inline("bad", b"y" * 9000, digest=digest_of("xxh128", b"other"))
        assert r["status"] == 422, r
        assert not part_path(home, "bad").exists()
        assert _ledger(c) == walk(home), "rm of sparse and hard-linked names, replacements, a bad digest"

        # An upload cut mid-stream: its part file stays, charged as it is.
        cut = ftp_server.login("quser")
        rid, r = put_open_when_free(cut, "cut.bin", 2 * MiB)
        assert r["status"] == 200, r
        cut.put_data(rid, os.urandom(MiB + 3))
        cut.close()
        wait_for(lambda: part_path(home, "cut.bin").exists()
                 and part_path(home, "cut.bin").stat().st_size == MiB + 3, 5, "the cut upload's part")

        f.storbinary("STOR ftp.bin", io.BytesIO(os.urandom(70001)))
        f.storbinary("APPE ftp.bin", io.BytesIO(b"tail!"))
        f.delete("sizes/s0")
        f.rename("sizes/s4097", "a/b/s4097")
        f.mkd("m")
        f.rmd("m")
        with pytest.raises(ftplib.error_perm):
            f.rmd("a")  # not empty: nothing changes

        wait_for(lambda: _ledger(c) == walk(home), 5, "the ledger to match the disk after FTP and a cut upload")
    finally:
        c.close()
        close_quietly(f)

    # A fresh login walks the home again (no other session of quser is
    # live): a file added meanwhile behind the server's back is only seen by
    # a walk, so finding it proves the server's walk applies the same rule.
    (home / "late").write_bytes(os.urandom(5000))

    def fresh():
        with ftp_server.login("quser") as c2:
            return _ledger(c2) == walk(home)

    wait_for(fresh, 5, "a fresh login's walk to agree with the rule")
    ftp_server.clean_home("quser")
