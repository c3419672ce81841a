"""`make run` (scripts/run-demo.sh) on a port that is taken (issue 13): it says
which address is taken and how to pick others (make run PORT=... FTP_PORT=...),
exits 1, and sets nothing up first. Uses the already-built binaries; no server
is started."""

import os
import socket
import subprocess
from pathlib import Path

import conftest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "run-demo.sh"
BUILD = Path(conftest.FERRYD).resolve().parent.parent


def _listening():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_demo(cwd, port, ftp_port):
    env = dict(os.environ, PORT=str(port), FTP_PORT=str(ftp_port))
    return subprocess.run(["bash", str(SCRIPT), str(BUILD)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=20, stdin=subprocess.DEVNULL)


def test_a_taken_native_port_is_named_with_advice(tmp_path):
    with _listening() as busy:
        port = busy.getsockname()[1]
        r = _run_demo(tmp_path, port, _free_port())
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert f"127.0.0.1:{port} is taken" in r.stderr, r.stderr
    assert "(PORT)" in r.stderr and "make run PORT=" in r.stderr and "FTP_PORT=" in r.stderr, r.stderr
    assert not (tmp_path / "demo").exists(), "nothing is set up before the check"


def test_a_taken_ftp_port_is_named_too(tmp_path):
    with _listening() as busy:
        ftp_port = busy.getsockname()[1]
        r = _run_demo(tmp_path, _free_port(), ftp_port)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert f"127.0.0.1:{ftp_port} is taken" in r.stderr and "(FTP_PORT)" in r.stderr, r.stderr
    assert not (tmp_path / "demo").exists()


def test_bad_port_values_are_usage_errors(tmp_path):
    for port, ftp_port in (("abc", 2121), (0, 2121), (70000, 2121), (5000, 5000)):
        r = _run_demo(tmp_path, port, ftp_port)
        assert r.returncode == 2, (port, ftp_port, r.stderr)
        assert "make run:" in r.stderr
    assert not (tmp_path / "demo").exists()
