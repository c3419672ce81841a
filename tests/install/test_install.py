"""`cmake --install` into a temporary prefix: the programs, the man pages
(rendered without a warning), the systemd unit (verified by systemd-analyze
when it is there) and the example settings land where they belong, and every
ferryd/ferry command's --help reads like a synopsis. Needs BUILD_DIR (ctest
sets it)."""

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest

BUILD = Path(os.environ.get("BUILD_DIR", "build"))
SOURCE = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    p = tmp_path_factory.mktemp("prefix")
    r = subprocess.run(["cmake", "--install", str(BUILD), "--prefix", str(p)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return p


def test_files_are_installed(prefix):
    for f in ["bin/ferryd", "bin/ferry", "share/man/man8/ferryd.8.gz", "share/man/man1/ferry.1.gz",
              "lib/systemd/system/ferryd.service", "share/doc/ferry/examples/ferryd.toml"]:
        assert (prefix / f).is_file(), f"{f} not installed"
    for b in ["bin/ferryd", "bin/ferry"]:
        assert os.access(prefix / b, os.X_OK)
    r = subprocess.run([str(prefix / "bin/ferryd"), "--version"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "0.1.0" in r.stdout


def test_example_settings_are_what_init_writes(prefix, tmp_path):
    subprocess.run([str(prefix / "bin/ferryd"), "init", "--root", str(tmp_path / "root"), "--no-tls"],
                   check=True, capture_output=True, timeout=30)
    assert (prefix / "share/doc/ferry/examples/ferryd.toml").read_text() == \
        (tmp_path / "root" / "ferryd.toml").read_text()


@pytest.mark.parametrize("page", ["man8/ferryd.8.gz", "man1/ferry.1.gz"])
def test_man_pages_render_without_warnings(prefix, page):
    path = prefix / "share/man" / page
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    if shutil.which("man"):
        r = subprocess.run(["man", "--warnings", "-l", str(path)], capture_output=True, text=True,
                           timeout=60, env=env)
        assert r.returncode == 0 and not r.stderr.strip(), r.stderr
        assert "SYNOPSIS" in r.stdout and "EXAMPLES" in r.stdout
    if not shutil.which("groff"):
        pytest.skip("groff not installed (scripts/install-deps.sh installs groff-base)")
    r = subprocess.run(["groff", "-ww", "-z", "-man"], input=gzip.decompress(path.read_bytes()),
                       capture_output=True, timeout=60)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr.decode()


def test_systemd_unit(prefix):
    unit = (prefix / "lib/systemd/system/ferryd.service").read_text()
    assert f"ExecStart={prefix}/bin/ferryd serve --root /var/lib/ferry" in unit
    for line in ["User=ferry", "ProtectSystem=strict", "ReadWritePaths=/var/lib/ferry", "NoNewPrivileges=yes",
                 "PrivateTmp=yes", "ProtectHome=yes", "PrivateDevices=yes", "ProtectKernelTunables=yes",
                 "ProtectKernelModules=yes", "ProtectControlGroups=yes",
                 "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "LockPersonality=yes",
                 "MemoryDenyWriteExecute=yes", "RestrictNamespaces=yes", "SystemCallArchitectures=native",
                 "ExecReload=/bin/kill -HUP $MAINPID", "KillSignal=SIGTERM"]:
        assert line in unit.splitlines(), f"{line} missing from the unit"
    stop = int(next(l for l in unit.splitlines() if l.startswith("TimeoutStopSec="))[15:])
    assert stop > 30, "TimeoutStopSec must outlast shutdown_timeout (30 s)"
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed: unit not verified")
    env = dict(os.environ, MANPATH=str(prefix / "share/man"))
    r = subprocess.run(["systemd-analyze", "verify", str(prefix / "lib/systemd/system/ferryd.service")],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0 and not r.stderr.strip(), r.stdout + r.stderr


def _help(prog, *words):
    r = subprocess.run([str(BUILD / "apps" / prog), *words, "--help"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("words", [[], ["init"], ["user"], ["user", "add"], ["user", "passwd"],
                                   ["user", "del"], ["user", "list"], ["user", "set"], ["serve"]])
def test_ferryd_help_reads_like_a_synopsis(words):
    out = _help("ferryd", *words)
    assert "Usage:" in out or "usage:" in out, out
    first = out.splitlines()[0]
    assert len(first) > 10, f"ferryd {' '.join(words)} has no description: {out}"
    if words and words != ["user"]:
        assert "Example" in out, f"ferryd {' '.join(words)} --help has no example"


@pytest.mark.parametrize("words", [[], ["ping"]])
def test_ferry_help_reads_like_a_synopsis(words):
    out = _help("ferry", *words)
    assert "Examples:" in out and "usage" in out.lower(), out
