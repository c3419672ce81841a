"""Remote exec (issue 12) through the real binaries: output streamed in
order and byte-exact, exit codes and signals, the wall-clock timeout, the
output cap, confinement (no writes outside the home, no reading /etc/shadow or
another user's home), a fork bomb contained while others are served, stdin,
Ctrl-C and disconnects killing the command's group, and 403 for accounts
without exec.

ferryd never runs commands as root, so as in test_privileges.py the root
belongs to the system user "ferrytest" and ferryd serves as it. Needs root
(to create that user) and a kernel with Landlock ABI 6."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import conftest
from ferry_wire import Conn

RUNNER = ("runner", "runner-pass")
RUNNER2 = ("runner2", "runner2-pass")
QRUNNER = ("qrunner", "qrunner-pass")  # exec with a 20 MiB quota
TIMEOUT = 4
EXEC_CONFIG = f"""
[exec]
timeout = {TIMEOUT}
max_output = "1MiB"
max_processes = 150
max_per_user = 2
"""


def _landlock_abi():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.syscall(444, None, 0, 1)  # landlock_create_ruleset(VERSION)


def _exec_server(timeout):
    """A ferryd whose users may run commands, killed after `timeout` seconds."""
    if os.geteuid() != 0:
        pytest.skip("exec runs as a service user: tested as root (it creates that user)")
    if _landlock_abi() < 6:
        pytest.skip("this kernel lacks Landlock ABI 6: exec is refused (tested below only when present)")
    pw = conftest.service_account()
    base = Path(tempfile.mkdtemp(prefix="ferry-exec."))
    os.chmod(base, 0o755)
    # Known to the shared fixtures, so `init` makes them (allowed to run commands).
    for name, password in (RUNNER, RUNNER2):
        conftest.USERS.setdefault(name, (password, ["--exec"]))
    root = conftest._init_root(base)
    conftest.must_ferryd("user", "add", QRUNNER[0], "--root", root, "--password-stdin", "--exec",
                         "--quota", "20MiB", "--max-files", "200", input=QRUNNER[1] + "\n")
    with open(root / "ferryd.toml", "a") as f:
        f.write(EXEC_CONFIG.replace(f"timeout = {TIMEOUT}", f"timeout = {timeout}"))
    (root / "home" / "other" / "secret.txt").write_text("the other user's secret\n")
    subprocess.run(["chown", "-R", f"{pw.pw_uid}:{pw.pw_gid}", str(root)], check=True)
    log_path = base / "ferryd.log"
    proc, port, extra, _ = conftest._spawn(root, log_path)
    s = conftest.Server(base, root, proc, port, log_path)
    s.extra_stdout = extra
    s.uid = pw.pw_uid
    conftest.pin_server(base, root, port)
    try:
        yield s
    finally:
        conftest._stop_server(s)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def srv():
    yield from _exec_server(TIMEOUT)


@pytest.fixture
def patient_srv():
    # A command here outlives any slow machine's scheduling, so an ordering
    # claim about it never rests on how fast the test runs.
    yield from _exec_server(600)


def login(srv, who=RUNNER):
    c = Conn(srv.port)
    c.login(*who)
    return c


def run_exec(c, argv=None, cmd=None, stdin=None, timeout=30):
    """Runs one exec; returns (list of (stream, bytes) frames, final header)."""
    rid = c.alloc_id()
    h = {"op": "exec", "id": rid}
    if argv is not None:
        h["argv"] = argv
    if cmd is not None:
        h["cmd"] = cmd
    if stdin is not None:
        h["stdin"] = True
    c.send(h)
    c.sock.settimeout(timeout)
    frames = []
    while True:
        head, body = c.recv()
        assert head.get("id") == rid, head
        if head.get("status") == 100:
            assert stdin is not None, head
            for i in range(0, len(stdin), 65536):
                chunk = stdin[i:i + 65536]
                c.send({"op": "exec_input", "id": rid, "body": len(chunk)}, chunk)
            c.send({"op": "exec_input", "id": rid, "body": 0})
            continue
        if head.get("status") != 200:
            return frames, head
        if "stream" in head:
            frames.append((head["stream"], body))
            continue
        assert "exit_code" in head, head
        return frames, head


def joined(frames, stream):
    return b"".join(b for s, b in frames if s == stream)


def processes_of(uid, needle):
    """PIDs of processes of `uid` whose command line contains `needle`."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.stat(f"/proc/{d}").st_uid != uid:
                continue
            with open(f"/proc/{d}/cmdline", "rb") as f:
                if needle.encode() in f.read():
                    found.append(int(d))
        except OSError:
            pass
    return found


def wait_gone(uid, needle, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not processes_of(uid, needle):
            return True
        time.sleep(0.1)
    return False


def test_every_command_is_in_the_activity_log(srv):
    c = login(srv)
    run_exec(c, argv=["sh", "-c", "exit 5", "tag-4711"])
    c.close()
    d = login(srv, ("demo", conftest.USERS["demo"][0]))
    run_exec(d, argv=["echo", "tag-4712"])
    d.close()
    lines = (srv.root / "log" / "ferryd.log").read_text().splitlines()
    ran = [l for l in lines if " exec " in l and "tag-4711" in l]
    assert len(ran) == 1 and 'user="runner"' in ran[0] and "exit=5" in ran[0], ran
    refused = [l for l in lines if " exec " in l and "tag-4712" in l]
    assert len(refused) == 1 and 'user="demo"' in refused[0] and "forbidden" in refused[0], refused


def test_an_account_without_exec_gets_403(srv):
    c = login(srv, ("demo", conftest.USERS["demo"][0]))
    frames, end = run_exec(c, argv=["true"])
    assert (end["status"], end["error"]) == (403, "forbidden"), end
    assert "not enabled" in end["message"]
    assert frames == []
    c.ok("pwd")  # the session goes on
    c.close()


def test_interleaved_stdout_and_stderr_keep_their_order(srv):
    c = login(srv)
    frames, end = run_exec(c, cmd="echo a; sleep 0.2; echo b >&2; sleep 0.2; echo c; sleep 0.2; echo d >&2")
    assert end["exit_code"] == 0, end
    assert frames == [("stdout", b"a\n"), ("stderr", b"b\n"), ("stdout", b"c\n"), ("stderr", b"d\n")]
    c.close()


def test_binary_output_is_byte_exact(srv):
    c = login(srv)
    every_byte = bytes(range(256)) * 1024
    (srv.home("runner") / "blob.bin").write_bytes(every_byte)
    frames, end = run_exec(c, argv=["cat", "blob.bin"])
    assert end["exit_code"] == 0
    assert joined(frames, "stdout") == every_byte
    frames, end = run_exec(c, cmd="head -c 200000 /dev/urandom | tee rand.bin")
    assert joined(frames, "stdout") == (srv.home("runner") / "rand.bin").read_bytes()
    c.close()


def test_exit_codes_and_signals_read_like_a_shell(srv):
    c = login(srv)
    assert run_exec(c, cmd="exit 3")[1]["exit_code"] == 3
    _, end = run_exec(c, cmd="kill -TERM $$")
    assert (end["exit_code"], end["signal"]) == (143, signal.SIGTERM), end
    _, end = run_exec(c, argv=["no-such-command-here"])
    assert (end["status"], end["error"]) == (404, "not_found"), end
    assert "no-such-command-here" in end["message"]
    # Arguments go to the program as they are: no shell between.
    frames, end = run_exec(c, argv=["echo", "$HOME", "a b", "*", ";", "ünï"])
    assert joined(frames, "stdout") == "$HOME a b * ; ünï\n".encode()
    c.close()


def test_the_command_runs_in_the_current_directory_with_a_scrubbed_environment(srv):
    c = login(srv)
    c.ok("mkdir", path="sub dir")
    c.ok("cd", path="sub dir")
    frames, end = run_exec(c, cmd="pwd; env")
    out = joined(frames, "stdout").decode()
    lines = out.splitlines()
    real_home = os.path.realpath(srv.home("runner"))
    assert lines[0] == real_home + "/sub dir", out
    names = sorted(line.split("=", 1)[0] for line in lines[1:])
    assert set(names) <= {"HOME", "PATH", "PWD", "USER", "LOGNAME", "LANG", "SHLVL", "_"}, names
    assert f"HOME={real_home}" in lines
    assert "PATH=/usr/local/bin:/usr/bin:/bin" in lines
    c.close()


def test_the_wall_clock_timeout_kills_the_group(srv):
    c = login(srv)
    start = time.monotonic()
    _, end = run_exec(c, cmd="sleep 97.5 & sleep 96.5; echo never")
    took = time.monotonic() - start
    assert end["timed_out"] is True, end
    assert end["exit_code"] == 128 + signal.SIGTERM, end
    assert TIMEOUT - 0.5 < took < TIMEOUT + 5, took
    assert wait_gone(srv.uid, "97.5") and wait_gone(srv.uid, "96.5"), "the group outlived the timeout"
    c.close()


def test_output_past_the_cap_is_cut_and_the_command_killed(srv):
    c = login(srv)
    frames, end = run_exec(c, argv=["yes", "ferry"])
    assert end["output_capped"] is True, end
    assert len(joined(frames, "stdout")) == 1 << 20
    assert end["exit_code"] == 128 + signal.SIGKILL
    c.ok("pwd")
    c.close()


def test_writes_outside_the_home_are_denied(srv):
    c = login(srv)
    marker = f"/tmp/ferry-escape-{os.getpid()}"
    frames, end = run_exec(c, cmd=f"echo x > {marker}; echo x > ../other/pwned; "
                                  "ln -s /etc ../escape; mkfifo f; echo inside > ok.txt")
    assert not os.path.exists(marker)
    assert not (srv.home("other") / "pwned").exists()
    assert not (srv.root / "home" / "escape").exists()
    assert not (srv.home("runner") / "f").exists()
    assert (srv.home("runner") / "ok.txt").read_text() == "inside\n"
    err = joined(frames, "stderr").decode()
    assert err.count("Permission denied") >= 3, err
    c.close()


def test_reading_shadow_the_server_or_another_home_is_denied(srv):
    c = login(srv)
    ferryd = srv.proc.pid
    for cmd in ("cat /etc/shadow", "cat ../other/secret.txt", "ls ../other", "cat ../../accounts.toml",
                "cat ../../secret", "cat ../../tls/key.pem", "ls /proc/1/fd", f"cat /proc/{ferryd}/environ",
                f"ls /proc/{ferryd}/fd", f"head -c 100 /proc/{ferryd}/mem", f"kill -TERM {ferryd}",
                "ln ../../accounts.toml stolen && cat stolen", "ln -s ../../accounts.toml sl && cat sl"):
        frames, end = run_exec(c, cmd=cmd)
        assert end["exit_code"] != 0, (cmd, end, frames)
        out = joined(frames, "stdout")
        assert b"secret" not in out and b"scram" not in out.lower(), (cmd, out)
    srv.assert_alive()
    # Nothing reaches the admin socket's kind of thing: no Unix sockets at all.
    frames, end = run_exec(c, argv=["python3", "-c",
                                    "import socket; socket.socket(socket.AF_UNIX)"])
    assert end["exit_code"] != 0 and b"PermissionError" in joined(frames, "stderr"), frames
    c.close()


def test_a_fork_bomb_is_contained_and_others_are_served(patient_srv):
    srv = patient_srv
    c = login(srv)
    # Closing the connection kills a bomb a failed assertion left running.
    try:
        # The leader forks once, the bomb, then spins on builtins, ignoring
        # SIGTERM. "95.5" marks every copy.
        rid = c.alloc_id()
        c.send({"op": "exec", "id": rid,
                "cmd": "trap '' TERM; : 95.5; (b() { b | b & }; b) & while :; do :; done"})
        # The shell says "Cannot fork" once the bomb has hit the process limit
        # (the line may come in pieces).
        c.sock.settimeout(30)
        said = b""
        while b"fork" not in said and len(said) < 65536:
            head, body = c.recv()
            assert head.get("id") == rid and head.get("stream") == "stderr", (head, said)
            said += body
        assert b"fork" in said, said
        # Meanwhile another user logs in and works.
        other = login(srv, RUNNER2)
        other.ok("ls", path="/")
        frames, end = run_exec(other, argv=["echo", "still here"])
        assert joined(frames, "stdout") == b"still here\n", (frames, end)
        other.close()
        # Then the bomb is killed (its leader may have ended already: dash
        # exits when a fork fails), and nothing of it is left.
        c.send({"op": "exec_signal", "id": rid, "signal": "KILL"})
        while True:
            head, _ = c.recv()
            assert head.get("id") == rid and head.get("status") == 200, head
            if "exit_code" in head:
                break
        assert wait_gone(srv.uid, "95.5"), "bomb processes outlived the command"
        # The session takes requests again (a signal that came after the end
        # is answered 400 first).
        c.send({"op": "pwd", "id": rid + 1})
        while True:
            head, _ = c.recv()
            if head.get("id") == rid + 1:
                break
            assert head.get("id") == rid and head.get("status") == 400, head
        assert head["status"] == 200, head
        c.next_id = rid + 2
    finally:
        c.close()


def test_stdin_is_streamed_to_the_command(srv):
    c = login(srv)
    data = os.urandom(3 * 65536 + 123)
    frames, end = run_exec(c, argv=["cat"], stdin=data)
    assert end["exit_code"] == 0
    assert joined(frames, "stdout") == data
    frames, end = run_exec(c, argv=["wc", "-c"], stdin=b"")
    assert joined(frames, "stdout").strip() == b"0"
    c.close()


def test_a_signal_frame_interrupts_the_command(srv):
    c = login(srv)
    rid = c.alloc_id()
    c.send({"op": "exec", "id": rid, "argv": ["sleep", "94.5"]})
    time.sleep(0.5)
    # A request that is not for the command is refused; the command goes on.
    c.send({"op": "pwd", "id": rid + 1})
    c.send({"op": "exec_signal", "id": rid, "signal": "INT"})
    seen = []
    while True:
        head, _ = c.recv()
        seen.append(head)
        if "exit_code" in head:
            break
    stray = [h for h in seen if h["id"] == rid + 1]
    assert stray and stray[0]["status"] == 400, seen
    assert seen[-1]["exit_code"] == 128 + signal.SIGINT, seen
    c.next_id = rid + 2
    c.ok("pwd")
    c.close()


def test_disconnecting_kills_the_command(srv):
    c = login(srv)
    c.send({"op": "exec", "id": c.alloc_id(), "cmd": "sleep 93.5 & sleep 92.5"})
    deadline = time.monotonic() + 5
    while not processes_of(srv.uid, "92.5") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_of(srv.uid, "92.5"), "the command never started"
    c.sock.close()
    assert wait_gone(srv.uid, "92.5") and wait_gone(srv.uid, "93.5"), "the command outlived its session"
    srv.assert_alive()


def test_commands_at_once_are_limited_per_user(srv):
    conns = [login(srv) for _ in range(3)]
    rids = []
    for c in conns[:2]:
        rids.append(c.alloc_id())
        c.send({"op": "exec", "id": rids[-1], "argv": ["sleep", "91.25"]})
    deadline = time.monotonic() + 20
    while len(processes_of(srv.uid, "91.25")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(processes_of(srv.uid, "91.25")) == 2, "the two commands never started"
    _, end = run_exec(conns[2], argv=["true"])
    assert (end["status"], end["error"]) == (429, "too_many_commands"), end
    for c, rid in zip(conns[:2], rids):
        c.send({"op": "exec_signal", "id": rid, "signal": "KILL"})
        assert c.recv()[0]["exit_code"] == 128 + signal.SIGKILL
    assert run_exec(conns[2], argv=["true"])[1]["exit_code"] == 0
    for c in conns:
        c.close()


def test_files_a_command_writes_count_against_the_quota(srv):
    c = login(srv)
    before = c.ok("quota")["used"]
    run_exec(c, cmd="head -c 3000000 /dev/zero > big.bin")
    after = c.ok("quota")["used"]
    assert after - before >= 3000000, (before, after)
    c.close()


def _ferry(srv, *args, stdin=b""):
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CONFIG_HOME",)}
    env["HOME"] = str(srv.base)
    env["FERRY_PASSWORD"] = RUNNER[1]
    return subprocess.run([conftest.FERRY, "-P", str(srv.port), f"{RUNNER[0]}@127.0.0.1", *args],
                          input=stdin, capture_output=True, env=env, timeout=60)


def test_one_shot_exec_exits_with_the_commands_status(srv):
    r = _ferry(srv, "exec", "--", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert (r.returncode, r.stdout, r.stderr) == (7, b"out\n", b"err\n"), r
    r = _ferry(srv, "exec", "--", "sh", "-c", "kill -KILL $$")
    assert r.returncode == 137, r
    r = _ferry(srv, "exec", "--", "no-such-command-here")
    assert r.returncode == 127 and b"command not found" in r.stderr, r
    blob = bytes(range(256)) * 4000
    (srv.home("runner") / "b.bin").write_bytes(blob)
    r = _ferry(srv, "exec", "--", "cat", "b.bin")
    assert r.returncode == 0 and r.stdout == blob


def test_one_shot_exec_with_stdin(srv):
    data = os.urandom(500_000)
    r = _ferry(srv, "exec", "-i", "--", "sha256sum", stdin=data)
    import hashlib
    assert r.returncode == 0, r
    assert r.stdout.split()[0].decode() == hashlib.sha256(data).hexdigest()


def test_ctrl_c_in_the_shell_stops_the_command_and_keeps_the_session(srv):
    pexpect = pytest.importorskip("pexpect")
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CONFIG_HOME",)}
    env.update(HOME=str(srv.base), FERRY_PASSWORD=RUNNER[1], LANG="C.UTF-8", TERM="xterm")
    sh = pexpect.spawn(conftest.FERRY, ["-P", str(srv.port), f"{RUNNER[0]}@127.0.0.1"], env=env,
                       timeout=15, encoding="utf-8")
    try:
        sh.expect("ferry.*> ")
        sh.sendline("cd /")
        sh.expect("> ")
        sh.sendline("exec sh -c 'echo started; sleep 91.5'")
        sh.expect("started")
        time.sleep(0.3)
        sh.sendintr()
        sh.expect("> ")
        assert wait_gone(srv.uid, "91.5")
        sh.sendline("exec echo after")
        sh.expect("after")
        sh.expect("> ")
        sh.sendline("exec sh -c 'exit 3'")
        sh.expect("exit status 3")
        sh.expect("> ")
        sh.sendline("bye")
        sh.expect(pexpect.EOF)
    finally:
        sh.close(force=True)


# Red-team findings (issue 12 review): each was a way around a bound.

def test_kernel_features_that_escape_the_limits_are_denied(srv):
    c = login(srv)
    probe = """
import ctypes, errno, fcntl, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def check(name, f):
    try:
        r = f()
        ok = r is not None and r is not False and (not isinstance(r, int) or r >= 0)
    except OSError:
        ok = False
    print(name, "ALLOWED" if ok else "denied")
check("memfd", lambda: os.memfd_create("x"))
check("shmget", lambda: libc.shmget(0, 1 << 20, 0o1600))
check("msgget", lambda: libc.msgget(0, 0o1600))
check("semget", lambda: libc.semget(0, 1, 0o1600))
f = open("leased", "w")
check("lease", lambda: fcntl.fcntl(f, 1024, fcntl.F_WRLCK))
check("notify", lambda: fcntl.fcntl(os.open(".", os.O_RDONLY), 1026, 1))
# clone(CLONE_PARENT | SIGCHLD): a sibling nobody would reap.
check("clone_parent", lambda: libc.syscall(56, 0x8000 | 17, 0, 0, 0, 0))
"""
    frames, end = run_exec(c, argv=["python3", "-c", probe])
    out = joined(frames, "stdout").decode()
    assert "ALLOWED" not in out and out.count("denied") == 7, (out, joined(frames, "stderr"))
    c.close()


def test_a_client_flooding_requests_without_reading_is_cut_off(srv):
    c = login(srv)
    rid = c.alloc_id()
    c.send({"op": "exec", "id": rid, "argv": ["sleep", "89.5"]})
    time.sleep(0.3)
    c.sock.settimeout(10)
    try:
        for i in range(5000):
            c.send({"op": "pwd", "id": rid + 1 + i})
    except OSError:
        pass
    # The server answers the first few strays (400) before it cuts the
    # client off: read those, then the connection must end.
    c.sock.settimeout(10)
    try:
        while True:
            head, _ = c.recv()
            assert head.get("status") == 400, head
    except (EOFError, ConnectionResetError, BrokenPipeError):
        pass
    assert wait_gone(srv.uid, "89.5")
    srv.assert_alive()


def test_a_client_that_never_reads_gives_its_slot_back(srv):
    idle = []
    for _ in range(2):
        c = login(srv)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.send({"op": "exec", "id": c.alloc_id(), "argv": ["yes", "x" * 100]})
        idle.append(c)
    # Timeout, SIGTERM grace, then the server gives up on the client.
    deadline = time.monotonic() + TIMEOUT + 2 + 5 + 10
    last = None
    while time.monotonic() < deadline:
        probe = login(srv)
        frames, last = run_exec(probe, argv=["true"])
        probe.close()
        if last.get("status") == 200:
            break
        time.sleep(1)
    assert last.get("exit_code") == 0, last
    for c in idle:
        c.close()


def test_disconnecting_while_stdin_is_full_kills_the_command(srv):
    c = login(srv)
    rid = c.alloc_id()
    c.send({"op": "exec", "id": rid, "argv": ["sleep", "88.5"], "stdin": True})
    assert c.recv()[0]["status"] == 100
    chunk = b"z" * 65536
    c.sock.settimeout(5)
    for _ in range(16):  # far more than a pipe holds
        c.send({"op": "exec_input", "id": rid, "body": len(chunk)}, chunk)
    c.sock.close()
    assert wait_gone(srv.uid, "88.5", seconds=6), "the command outlived its client"


def test_a_path_outside_the_home_does_not_tell_whether_it_exists(srv):
    c = login(srv)
    there = run_exec(c, argv=["../other/secret.txt"])[1]
    absent = run_exec(c, argv=["../other/absent.txt"])[1]
    assert (there["status"], there["error"]) == (absent["status"], absent["error"]) == (403, "forbidden")
    c.close()


def test_commands_cannot_grow_the_home_past_its_quota(srv):
    # Another session of the same user stays open throughout (its ledger is
    # shared: the home is measured around every command, not once per login).
    keep = login(srv, QRUNNER)
    c = login(srv, QRUNNER)
    frames, end = run_exec(c, cmd="head -c 30000000 /dev/zero > big; echo wrote $?")
    size = (srv.home("qrunner") / "big").stat().st_size
    assert size <= 20 << 20, size  # RLIMIT_FSIZE: what the quota had left
    assert keep.ok("quota")["used"] >= size  # the other session sees it at once
    c2 = login(srv, QRUNNER)
    _, end = run_exec(c2, cmd="head -c 1000000 /dev/zero > more")
    assert (end["status"], end["error"]) == (413, "quota_exceeded"), end
    c2.close()
    keep.close()
    # The home is at its limit now: the next command is refused until files go.
    frames, end = run_exec(c, argv=["true"])
    assert (end["status"], end["error"]) == (413, "quota_exceeded"), end
    c.ok("rm", path="big")
    assert run_exec(c, argv=["true"])[1]["exit_code"] == 0
    # The file count too.
    run_exec(c, cmd="for i in $(seq 1 300); do : > f$i; done")
    _, end = run_exec(c, argv=["true"])
    assert (end["status"], end["error"]) == (413, "quota_exceeded") and "max_files" in end["message"], end
    c.close()


def test_commands_run_are_counted_in_ctl_stats(srv):
    import json

    def runs():
        r = conftest.run_ferryd("ctl", "--root", srv.root, "--json", "stats")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)["exec_runs"]

    before = runs()
    c = login(srv)
    assert run_exec(c, argv=["true"])[1]["exit_code"] == 0
    c.close()
    assert runs() == before + 1
