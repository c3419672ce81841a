"""`ferryd ctl` and the admin socket ROOT/ctl.sock, against the real binaries:
sessions (with a running transfer's bytes and rate), kick by id and by user
(a kicked upload resumes later), stats, reload (a new account, changed
settings logged, the ones needing a restart named), drain (exit 0 after the
transfer in progress), the socket's mode, a stale socket replaced and a
live one not stolen, a uid that may not use it, --json, and the bounds a
ctl client meets (connections, frame size, idle timeout)."""

import json
import os
import pwd
import shutil
import signal
import socket
import stat
import struct
import subprocess
import time

import pytest

import conftest
from ctl_util import (closed_within, ctl, ctl_json, dial, frame, log_has, read_frame, session_of,
                      wait_for)

BIG = 48 << 20  # 3 s at the "slow" user's 16 MiB/s


def ferry_bg(srv, user, args, cwd):
    """The real client in the background, logged in as `user`."""
    env = {k: v for k, v in os.environ.items() if k not in ("FERRY_PASSWORD", "XDG_CONFIG_HOME")}
    env["HOME"] = str(srv.base)
    p = subprocess.Popen([conftest.FERRY, "-P", str(srv.port), "--password-stdin", f"{user}@127.0.0.1", *args],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env)
    p.stdin.write((srv.password(user) + "\n").encode())
    p.stdin.close()
    p.stdin = None  # communicate() must not flush it again
    return p


def finish(p, timeout=60):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        pytest.fail("the ferry client did not finish")
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def big_file(path, size=BIG):
    with open(path, "wb") as f:
        block = os.urandom(1 << 20)
        for _ in range(size >> 20):
            f.write(block)
    return path


@pytest.fixture
def local_dir(tmp_path):
    d = tmp_path / "local"
    d.mkdir()
    return d


def test_socket_is_0600_and_owned_by_the_service_user(server):
    st = os.lstat(server.root / "ctl.sock")
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    # The service user: the owner of the root (ferryd drops to it; the suite,
    # run as root with --allow-root, stays root).
    assert st.st_uid == os.stat(server.root).st_uid


def test_sessions_shows_a_running_get_with_bytes_and_rate(server, local_dir):
    server.clean_home("slow")
    big_file(server.home("slow") / "big.bin")
    p = ferry_bg(server, "slow", ["get", "big.bin"], local_dir)
    try:
        s = wait_for(lambda: session_of(server.root, "slow", transferring=True), what="a transfer in ctl sessions")
        t = s["transfer"]
        assert t["path"] == "/big.bin" and t["direction"] == "out", s
        assert t["size"] == BIG and 0 < t["done"] <= BIG, s
        assert s["protocol"] == "ferry" and s["peer"].startswith("127.0.0.1:"), s
        assert isinstance(s["id"], int) and s["since"] > 0 and s["idle"] >= 0, s
        time.sleep(0.5)
        t = session_of(server.root, "slow", transferring=True)["transfer"]
        # The user's bucket is 16 MiB/s (after a first burst): the rate says so.
        assert 4 << 20 < t["rate"] < 64 << 20, t
        table = ctl(server.root, "sessions")
        assert table.returncode == 0, table.stderr
        assert table.stdout.startswith("ID") and "slow" in table.stdout, table.stdout
        assert "get /big.bin" in table.stdout and "/s" in table.stdout, table.stdout
    finally:
        rc, out, err = finish(p)
    assert rc == 0, err
    assert (local_dir / "big.bin").stat().st_size == BIG


def test_kick_by_id_closes_that_session_only(server):
    a = server.login("demo")
    b = server.login("other")
    try:
        ids = {s["user"]: s["id"] for s in ctl_json(server.root, "sessions") if s["user"] in ("demo", "other")}
        r = ctl(server.root, "kick", str(ids["demo"]))
        assert r.returncode == 0 and "kicked 1" in r.stdout, (r.stdout, r.stderr)
        a.expect_closed(5)
        assert b.ok("pwd")["path"] == "/"  # the other session goes on
        assert log_has(server, "kicked by the administrator")
        r = ctl(server.root, "kick", "999999")
        assert r.returncode == 1 and "no live session" in r.stderr, r.stderr
    finally:
        a.close()
        b.close()


def test_kick_by_user_cuts_an_upload_that_resumes_later(server, local_dir):
    home = server.clean_home("slow")
    src = big_file(local_dir / "up.bin")
    p = ferry_bg(server, "slow", ["put", "up.bin"], local_dir)
    idle = server.login("slow")  # a second session of the same user
    try:
        wait_for(lambda: session_of(server.root, "slow", transferring=True), what="the upload in ctl sessions")
        r = ctl(server.root, "kick", "slow")
        assert r.returncode == 0 and "kicked 2" in r.stdout, (r.stdout, r.stderr)
        rc, out, err = finish(p)
        assert rc != 0, "the kicked upload reported success"
        idle.expect_closed(5)
    finally:
        idle.close()
        if p.poll() is None:
            p.kill()
    part = home / ".up.bin.ferry-part"
    wait_for(lambda: part.exists() and part.stat().st_size > 0, what="the part file kept for resume")
    assert not (home / "up.bin").exists()
    kept = part.stat().st_size
    rc, out, err = finish(ferry_bg(server, "slow", ["put", "up.bin"], local_dir))
    assert rc == 0, err
    assert (home / "up.bin").read_bytes() == src.read_bytes()
    # The second run resumed: the xferlog line of the complete upload moved
    # fewer bytes than the file holds.
    last = [l for l in (server.root / "log" / "xferlog").read_text().splitlines() if "/up.bin" in l][-1]
    assert last.endswith(" c") and int(last.split()[7]) == BIG - kept, (last, kept)


def test_stats_count_logins_and_bytes(server):
    before = ctl_json(server.root, "stats")
    c = server.login("demo")
    data = os.urandom(300_000)
    (server.home("demo") / "s.bin").write_bytes(data)
    reply, body, trailer = c.get("s.bin")
    assert body == data
    bad = server.connect(source_ip="127.0.0.9")
    bad.hello()
    assert bad.auth("demo", "wrong password")["status"] == 401
    bad.close()
    after = wait_for(lambda: (lambda s: s if s["logins"]["failed"] > before["logins"]["failed"] else None)(
        ctl_json(server.root, "stats")), what="the failed login counted")
    assert after["logins"]["ok"] >= before["logins"]["ok"] + 1
    assert after["bytes"]["out"] >= before["bytes"]["out"] + len(data)
    assert after["transfers"]["out"] >= before["transfers"]["out"] + 1
    assert after["sessions"]["ferry"] >= 1 and after["sessions"]["total"] >= 1, after
    assert after["uptime"] >= 0 and after["started"] > 0
    text = ctl(server.root, "stats")
    assert text.returncode == 0
    for word in ("uptime", "sessions", "logins", "bytes", "transfers"):
        assert word in text.stdout, text.stdout
    c.close()


def test_reload_picks_up_an_account_and_logs_changed_settings(server):
    conftest.must_ferryd("user", "add", "newbie", "--root", server.root, "--password-stdin", input="newbie-pw\n")
    toml = server.root / "ferryd.toml"
    saved = toml.read_text()
    try:
        toml.write_text(saved + "\nidle_timeout = 200\nmax_sessions = 7\n")
        r = ctl(server.root, "reload")
        assert r.returncode == 0, r.stderr
        assert "accounts reloaded" in r.stdout
        assert "setting idle_timeout changed: 300 -> 200" in r.stdout, r.stdout
        assert "setting max_sessions changed" in r.stdout and "needs a restart" in r.stdout, r.stdout
        assert log_has(server, "setting idle_timeout changed: 300 -> 200")
        c = conftest.Conn(server.port)
        c.login("newbie", "newbie-pw")
        c.close()
        # A reload of a broken file keeps the running settings, and says it
        # failed (exit 1, "ok": false) so scripts and systemctl reload notice.
        toml.write_text(saved + "\nidle_timeout = -1\n")
        r = ctl(server.root, "--json", "reload")
        assert r.returncode == 1, r
        report = json.loads(r.stdout)
        assert report["ok"] is False and any("settings not reloaded" in line for line in report["report"]), report
        assert ctl(server.root, "reload").returncode == 1
    finally:
        toml.write_text(saved)
        ctl(server.root, "reload")


def test_sighup_reloads_the_settings_too(server):
    toml = server.root / "ferryd.toml"
    saved = toml.read_text()
    try:
        toml.write_text(saved + "\nlogin_timeout = 29\n")
        server.proc.send_signal(signal.SIGHUP)
        assert log_has(server, "setting login_timeout changed: 30 -> 29")
    finally:
        toml.write_text(saved)
        server.proc.send_signal(signal.SIGHUP)
        assert log_has(server, "setting login_timeout changed: 29 -> 30")


def test_json_output_parses(server):
    assert isinstance(ctl_json(server.root, "sessions"), list)
    assert "logins" in ctl_json(server.root, "stats")
    assert "report" in ctl_json(server.root, "reload")


def test_errors_without_a_server(tmp_path):
    r = ctl(tmp_path, "stats")
    assert r.returncode == 1 and "no ferryd is serving" in r.stderr, r.stderr
    r = conftest.run_ferryd("ctl", "--root", tmp_path, "frobnicate")
    assert r.returncode != 0


def test_a_non_permitted_uid_is_refused(server, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to run a client as another user")
    nobody = pwd.getpwnam("nobody")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv not installed")
    # The real client as nobody: the socket's mode keeps it out.
    ferryd = tmp_path / "ferryd"
    shutil.copy(conftest.FERRYD, ferryd)
    os.chmod(tmp_path, 0o755)
    r = subprocess.run([setpriv, f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups",
                        str(ferryd), "ctl", "--root", str(server.root), "stats"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "permission denied" in r.stderr, (r.returncode, r.stderr)
    # Past the mode (loosened by hand), the peer's uid is checked: refused
    # with a 403 and a warning in the log.
    sock = server.root / "ctl.sock"
    root_mode = os.stat(server.root).st_mode
    os.chmod(sock, 0o666)
    os.chmod(server.root, root_mode | 0o011)
    try:
        dirfd = os.open(server.root, os.O_PATH)
        pid = os.fork()
        if pid == 0:  # child: become nobody in the root (its parents are 0700), then connect
            code = 1
            try:
                os.fchdir(dirfd)
                os.setgroups([])
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(5)
                s.connect("ctl.sock")
                got = read_frame(s)  # refused at accept: before any request
                code = 0 if got is not None and got[0].get("status") == 403 and read_frame(s) is None else 2
            except BaseException as e:
                print("child:", repr(e), flush=True)
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        os.close(dirfd)
        assert os.waitstatus_to_exitcode(status) == 0, "nobody was not refused with a 403"
        assert log_has(server, f"ctl: refused a connection from uid {nobody.pw_uid}")
    finally:
        os.chmod(sock, 0o600)
        os.chmod(server.root, root_mode)


def test_bounds_connections(server):
    held = [dial(server.root) for _ in range(8)]
    try:
        # Each is being served (a reply proves it), and they are the cap.
        for s in held:
            s.sendall(frame({"op": "stats", "id": 1}))
            h, _ = read_frame(s)
            assert h["status"] == 200
        extra = dial(server.root)
        got = read_frame(extra)
        assert got is not None and got[0]["status"] == 429, got
        assert read_frame(extra) is None
        extra.close()
        r = ctl(server.root, "stats")
        assert r.returncode == 1 and "too many ctl connections" in r.stderr, r.stderr
    finally:
        for s in held:
            s.close()
    wait_for(lambda: ctl(server.root, "stats").returncode == 0, what="ctl to work again")


def test_bounds_frames(server):
    s = dial(server.root)
    s.sendall(struct.pack(">I", 0x7FFFFFFF) + b"{")  # a 2 GiB header: refused unread
    h, _ = read_frame(s)
    assert h["status"] == 400, h
    assert closed_within(s, 5)
    s = dial(server.root)
    raw = json.dumps({"op": "stats", "id": 2, "body": 1 << 30}).encode()
    s.sendall(struct.pack(">I", len(raw)) + raw + b"x" * 1000)  # a body: requests carry none
    h, _ = read_frame(s)
    assert h["status"] == 400 and "body" in h["message"], h
    assert closed_within(s, 5)
    s = dial(server.root)
    s.sendall(frame({"op": "nope", "id": 3}))
    h, _ = read_frame(s)
    assert h["status"] == 400 and h["id"] == 3
    s.sendall(frame({"op": "stats", "id": 4}))  # the connection goes on after a bad op
    assert read_frame(s)[0]["status"] == 200
    s.close()
    assert ctl(server.root, "stats").returncode == 0


def test_bounds_idle_timeout(server):
    s = dial(server.root)
    s.sendall(struct.pack(">I", 100) + b'{"op"')  # half a header, then nothing
    t0 = time.monotonic()
    assert closed_within(s, 15), "an idle ctl connection was kept"
    assert 8 < time.monotonic() - t0 < 14
    s.close()


# -- servers of their own: stale and live sockets, drain

def test_stale_socket_is_replaced_and_a_live_one_is_not_stolen(tmp_path, cleanup):
    srv = conftest.start_with_settings(tmp_path, "")
    cleanup(srv)
    sock = srv.root / "ctl.sock"
    ino = os.lstat(sock).st_ino
    # Live: a second server on the same root refuses to start.
    r = conftest.run_ferryd("serve", "--root", srv.root, "--listen", "127.0.0.1:0", *conftest.ALLOW_ROOT,
                            timeout=15)
    assert r.returncode != 0 and "another ferryd is serving this root" in r.stderr, r.stderr
    assert os.lstat(sock).st_ino == ino, "the live socket was replaced"
    assert ctl(srv.root, "stats").returncode == 0
    # Stale: after a crash the file stays; ctl says nobody answers, and the
    # next server takes the path over.
    srv.kill()
    assert sock.exists()
    r = ctl(srv.root, "stats")
    assert r.returncode == 1 and "no ferryd is serving" in r.stderr, r.stderr
    srv.restart()
    assert log_has(srv, "replacing the stale socket")
    assert ctl(srv.root, "stats").returncode == 0
    assert stat.S_IMODE(os.lstat(sock).st_mode) == 0o600
    conftest._stop_server(srv)
    assert not sock.exists(), "a clean stop leaves no socket behind"


def test_drain_stops_with_exit_0_after_the_running_transfer(tmp_path, cleanup, local_dir):
    srv = conftest.start_with_settings(tmp_path, "drain_timeout = 60")
    cleanup(srv)
    big_file(srv.home("slow") / "big.bin", 32 << 20)
    p = ferry_bg(srv, "slow", ["get", "big.bin"], local_dir)
    wait_for(lambda: session_of(srv.root, "slow", transferring=True), what="the transfer")
    r = ctl(srv.root, "drain")
    assert r.returncode == 0 and "draining" in r.stdout, (r.stdout, r.stderr)
    time.sleep(0.3)
    assert srv.proc.poll() is None, "ferryd left before the transfer finished"
    rc, out, err = finish(p)
    assert rc == 0, err
    assert (local_dir / "big.bin").stat().st_size == 32 << 20
    assert srv.proc.wait(15) == 0
    assert "all sessions finished" in srv.log_path.read_text()


def test_ftp_sessions_are_listed_and_kicked(ftp_server):
    import threading

    import ftp_util
    ftp_server.clean_home("slow")
    big_file(ftp_server.home("slow") / "f.bin", 32 << 20)
    f = ftp_util.ftp_connect(ftp_server, user="slow", password=ftp_server.password("slow"))
    got = []
    errors = []

    def retr():
        try:
            f.retrbinary("RETR f.bin", got.append)
        except Exception as e:  # the kick cuts it
            errors.append(e)

    t = threading.Thread(target=retr)
    t.start()
    try:
        s = wait_for(lambda: session_of(ftp_server.root, "slow", transferring=True), what="the FTP transfer")
        assert s["protocol"] == "ftp" and s["transfer"]["path"] == "/f.bin", s
        assert s["transfer"]["direction"] == "out" and s["transfer"]["size"] == 32 << 20, s
        r = ctl(ftp_server.root, "kick", "slow")
        assert r.returncode == 0 and "kicked 1" in r.stdout, (r.stdout, r.stderr)
        t.join(15)
        assert not t.is_alive(), "the kicked FTP transfer went on"
        assert sum(map(len, got)) < 32 << 20
        assert log_has(ftp_server, "kicked by the administrator")
    finally:
        t.join(15)
        ftp_util.close_quietly(f)
