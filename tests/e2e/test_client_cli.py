"""The real `ferry` client (ferry(1)): one-shot commands and batch files,
exit statuses (0 ok, 1 failed command, 2 usage error), one-line errors on
stderr, and the effect of each command on the server's real filesystem."""

import os
import stat as stat_mod

import pytest

from conftest import run_ferry

TARGET = "demo@127.0.0.1"


@pytest.fixture
def home(server):
    return server.clean_home("demo")


def ferry(server, *args, **kw):
    return run_ferry(server, [TARGET, *args], password=server.password("demo"), **kw)


def _ok(r, what):
    assert r.returncode == 0, (
        f"{what}: exit {r.returncode}\nstdout: {r.stdout!r}\nstderr: {r.stderr!r}")
    return r


def _one_line_error(r, what):
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), (
        f"{what}: stderr must be exactly one line, got {r.stderr!r}")
    return lines[0]


def test_mkdir_p(server, home):
    _ok(ferry(server, "mkdir", "-p", "a/b"), "mkdir -p a/b")
    assert (home / "a" / "b").is_dir()
    _ok(ferry(server, "mkdir", "top"), "mkdir top")
    assert (home / "top").is_dir()
    r = ferry(server, "mkdir", "top")
    assert r.returncode == 1, f"mkdir existing: exit {r.returncode}, {r.stderr!r}"
    assert "exist" in _one_line_error(r, "mkdir existing").lower()
    r = ferry(server, "mkdir", "x/y")
    assert r.returncode == 1, f"mkdir without -p under missing parent: {r!r}"
    assert not (home / "x").exists()


def test_cd_missing(server, home):
    r = ferry(server, "cd", "/nope")
    assert r.returncode == 1, f"cd /nope: exit {r.returncode}, stderr {r.stderr!r}"
    line = _one_line_error(r, "cd /nope")
    assert "not found" in line.lower(), line
    assert r.stdout == "", f"nothing on stdout for a failed command: {r.stdout!r}"


def test_pwd(server, home):
    r = _ok(ferry(server, "pwd"), "pwd")
    assert r.stdout.strip().split()[-1] == "/", r.stdout


def test_ls_names(server, home):
    (home / "b_file").write_text("hello")
    (home / "a_dir").mkdir()
    (home / "C").write_text("")
    (home / ".c.ferry-part").write_text("partial")
    r = _ok(ferry(server, "ls"), "ls")
    lines = [line.rstrip("/") for line in r.stdout.splitlines() if line.strip()]
    assert lines == ["C", "a_dir", "b_file"], f"ls output: {r.stdout!r}"
    (home / "a_dir" / "inside").write_text("i")
    r = _ok(ferry(server, "ls", "a_dir"), "ls a_dir")
    assert r.stdout.split() == ["inside"], r.stdout
    r = ferry(server, "ls", "/missing")
    assert r.returncode == 1
    assert "not found" in _one_line_error(r, "ls missing").lower()


def test_ls_long(server, home):
    (home / "file.bin").write_bytes(b"z" * 4321)
    os.chmod(home / "file.bin", 0o640)
    (home / "dir").mkdir()
    os.chmod(home / "dir", 0o755)
    r = _ok(ferry(server, "ls", "-l"), "ls -l")
    lines = [line for line in r.stdout.splitlines()
             if line.strip() and not line.startswith("total")]
    assert len(lines) == 2, f"ls -l output: {r.stdout!r}"
    by_name = {line.split()[-1].rstrip("/"): line for line in lines}
    assert set(by_name) == {"dir", "file.bin"}, r.stdout
    f = by_name["file.bin"]
    assert f.startswith(stat_mod.filemode(0o100640)), f"file line {f!r}"
    assert "4321" in f.split(), f"size missing in {f!r}"
    d = by_name["dir"]
    assert d.startswith("drwxr-xr-x"), f"dir line {d!r}"


def test_navigation_commands(server, home):
    _ok(ferry(server, "mkdir", "-p", "n1/n2"), "mkdir -p")
    (home / "n1" / "f").write_text("content")
    _ok(ferry(server, "mv", "n1/f", "n1/n2"), "mv into dir")
    assert (home / "n1" / "n2" / "f").read_text() == "content"
    _ok(ferry(server, "mv", "n1/n2/f", "g"), "mv rename")
    assert (home / "g").read_text() == "content"
    r = ferry(server, "rmdir", "n1")
    assert r.returncode == 1, "rmdir non-empty must fail"
    assert "not empty" in _one_line_error(r, "rmdir n1").lower().replace("_", " ")
    _ok(ferry(server, "rmdir", "n1/n2"), "rmdir")
    _ok(ferry(server, "rmdir", "n1"), "rmdir")
    assert not (home / "n1").exists()
    r = ferry(server, "rm", "missing")
    assert r.returncode == 1
    _one_line_error(r, "rm missing")
    _ok(ferry(server, "rm", "g"), "rm")
    assert os.listdir(home) == []
    r = _ok(ferry(server, "stat", "/"), "stat /")
    assert r.stdout.strip(), "stat printed nothing"
    r = _ok(ferry(server, "quota"), "quota")
    assert r.stdout.strip(), "quota printed nothing"


def test_cd_then_command_in_batch(server, home, tmp_path):
    batch = tmp_path / "ok.batch"
    batch.write_text("mkdir -p q/r\ncd q\nmkdir s\nmv s t\ncd r\npwd\ncd ..\nls\n")
    r = run_ferry(server, ["-b", str(batch), TARGET], env_password=server.password("demo"))
    _ok(r, "batch")
    assert (home / "q" / "t").is_dir() and (home / "q" / "r").is_dir()
    assert not (home / "s").exists() and not (home / "t").exists()
    assert any(line.strip().split()[-1:] == ["/q/r"] for line in r.stdout.splitlines()), (
        f"pwd in batch did not print /q/r: {r.stdout!r}")


def test_batch_stops_at_first_failure(server, home, tmp_path):
    batch = tmp_path / "fail.batch"
    batch.write_text("mkdir b1\ncd b1\nmkdir b2\ncd /nope\nmkdir b3\nmkdir /b4\n")
    r = run_ferry(server, ["-b", "fail.batch", TARGET], env_password=server.password("demo"),
                  cwd=tmp_path)
    assert r.returncode == 1, f"batch with a failing line: exit {r.returncode}, {r.stderr!r}"
    assert "not found" in r.stderr.lower(), r.stderr
    assert (home / "b1" / "b2").is_dir()
    assert not (home / "b1" / "b3").exists(), "a line after the failure was executed"
    assert not (home / "b3").exists() and not (home / "b4").exists(), (
        "a line after the failure was executed")


def test_password_from_env_one_shot(server, home):
    r = run_ferry(server, [TARGET, "mkdir", "envdir"], env_password=server.password("demo"))
    _ok(r, "mkdir with FERRY_PASSWORD")
    assert (home / "envdir").is_dir()


def test_wrong_password(server, home):
    r = run_ferry(server, [TARGET, "mkdir", "nopass"], password="wrong-password")
    assert r.returncode == 1, f"wrong password: exit {r.returncode}, {r.stderr!r}"
    _one_line_error(r, "wrong password")
    assert not (home / "nopass").exists()


def test_unknown_command(server, home):
    r = ferry(server, "frobnicate", "x")
    assert r.returncode == 2, f"unknown command: exit {r.returncode}, {r.stderr!r}"
    assert r.stderr.strip(), "no message for an unknown command"


@pytest.mark.parametrize("args", [["mv"], ["mv", "only_one"], ["cd", "a", "b", "c"],
                                  ["mkdir"], ["rmdir"]],
                         ids=["mv0", "mv1", "cd3", "mkdir0", "rmdir0"])
def test_missing_args_usage_error(server, home, args):
    (home / "only_one").write_text("x")
    r = ferry(server, *args)
    assert r.returncode == 2, f"{args}: exit {r.returncode}, {r.stderr!r}"
    assert r.stderr.strip(), f"{args}: no usage message"
    assert sorted(os.listdir(home)) == ["only_one"]


def test_bad_port_fails(server, tmp_path):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    from conftest import FERRY
    import subprocess
    env = dict(os.environ, FERRY_PASSWORD="x", HOME=str(tmp_path))
    r = subprocess.run([FERRY, "-P", str(port), TARGET, "pwd"], capture_output=True, text=True,
                       timeout=30, env=env, stdin=subprocess.DEVNULL)
    assert r.returncode == 1, f"connection refused: exit {r.returncode}, {r.stderr!r}"
    assert len(r.stderr.splitlines()) == 1, r.stderr
