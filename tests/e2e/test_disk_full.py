"""A full disk (issue 11, bug 8): ferryd's root on a 24 MiB tmpfs. An upload
past ENOSPC gets 507 insufficient_storage (FTP 452), not a quota error, though
the user is far under quota; only bytes that reached the disk are counted; a
part the upload started is dropped at once, so the disk is free again for
everyone. Needs root (mount); skipped otherwise."""

import ftplib
import io
import os
import subprocess

import pytest

import conftest
from quota_util import walk
from ferry_wire import digest_of

MiB = 1 << 20


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    base = tmp_path_factory.mktemp("diskfull")
    mnt = base / "mnt"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0755", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.fixture(scope="module")
def srv(small_disk, tmp_path_factory):
    # _server_fixture puts the root at BASE/root: make BASE the tmpfs.
    class OnDisk:
        def mktemp(self, name):
            return small_disk
    yield from conftest._server_fixture(OnDisk(), ftp_config="")


def _free(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def test_native_put_past_enospc_is_507_and_frees_the_disk(srv):
    home = srv.clean_home("quser")  # 100 MiB quota, 24 MiB disk
    free_before = _free(home)
    data = os.urandom(MiB) * 30
    with srv.login("quser") as c:
        put, commit = c.put_file("big.bin", data)
        assert put["status"] == 200, put
        assert commit["status"] == 507 and commit.get("error") == "insufficient_storage", commit
        assert "quota" not in commit.get("message", "").lower(), commit
        q = c.ok("quota")
        assert q["used"] == 0 and q["limit"] == 100 * MiB, f"the ledger drifted: {q}"
        assert os.listdir(home) == [], "the part this put started is dropped"
        assert _free(home) >= free_before - MiB, "the disk is free again"
        small = b"fits" * 1000
        assert c.put_inline("small.txt", small)["status"] == 201
    srv.clean_home("quser")


def _stor_reply(f, name, data):
    """The final reply to a STOR, also when the server closed the data
    connection while the client was still sending (it does on a failure)."""
    try:
        return f.storbinary("STOR " + name, io.BytesIO(data))
    except ftplib.Error as e:
        return str(e)
    except OSError:
        try:
            return f.getresp()
        except ftplib.Error as e:
            return str(e)


def test_ftp_stor_past_enospc_is_452_and_the_ledger_stays(srv):
    home = srv.clean_home("quser")
    f = ftplib.FTP()
    f.connect("127.0.0.1", srv.ftp_port, timeout=30)
    try:
        f.login("quser", srv.password("quser"))
        for _ in range(2):  # twice: each failure must not inflate the ledger
            reply = _stor_reply(f, "big.bin", os.urandom(MiB) * 30)
            assert reply.startswith("452"), reply
        assert [n for n in os.listdir(home)] == []
        f.storbinary("STOR ok.bin", io.BytesIO(b"y" * 4096))
    finally:
        try:
            f.quit()
        except ftplib.all_errors:
            f.close()
    with srv.login("quser") as c:
        assert c.ok("quota")["used"] == walk(home)[0] == 4096  # its one block
    srv.clean_home("quser")
