"""Temporary content repos for end-to-end build tests, and ways to look at what a run did."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT, srt

sys.path.insert(0, str(ROOT))
from bench.corpus import lecture  # noqa: E402  (one generator of synthetic lectures)

GOOD = srt(("00:00:01,000", "00:00:03,000", "so um the the lecture starts"),
           ("00:00:03,500", "00:00:06,000", "and we talk about energy."))
BAD = "this is not\na subtitle file\n"
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def make_repo(root: Path, files: dict[str, str], config: str | None = None) -> Path:
    """A content repo: srtbuild.yaml (input: lectures, output: build), a dodo.py, sources."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "srtbuild.yaml").write_text(config or "input: lectures\noutput: build\n", encoding="utf-8")
    (root / "dodo.py").write_text((ROOT / "dodo.py").read_text(encoding="utf-8"), encoding="utf-8")
    for rel, text in files.items():
        path = root / "lectures" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def lectures(n: int, cues: int = 20) -> dict[str, str]:
    return {f"course{i % 3}/lecture{i:03d}.srt": lecture(i, cues) for i in range(n)}


def srtbuild(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "srtbuild", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def doit(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "doit", *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def batch(repo: Path, *extra: str) -> subprocess.CompletedProcess:
    return srtbuild("batch", "lectures", "build", *extra, cwd=repo)


def report(repo: Path, output: str = "build") -> dict:
    return json.loads((repo / output / ".srtbuild" / "report.json").read_text(encoding="utf-8"))


def processed(repo: Path, output: str = "build") -> int:
    return report(repo, output)["totals"]["processed"]


def stamps(folder: Path) -> dict[str, int]:
    """mtime_ns of every output subtitle: an independent witness of what a run rewrote."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*.srt"))
            if ".srtbuild" not in p.parts}


def tree(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under `folder` with its mtime and bytes."""
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def wait_for(condition, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def session_members(sid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid:
                    with open(f"/proc/{entry}/stat") as fh:
                        if fh.read().split()[2] != "Z":
                            members.append(int(entry))
            except (ProcessLookupError, PermissionError, FileNotFoundError):
                pass
    return members


def assert_nothing_left(sid: int) -> None:
    try:
        wait_for(lambda: not session_members(sid), timeout=10)
    except AssertionError:
        raise AssertionError(f"processes left running: {session_members(sid)}") from None


def run_alone(args: list[str], cwd: Path, user: list[str] | None = None, timeout: float = 180,
              env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a command in a session of its own and check that, once it has exited, no
    process of that session is alive: nothing a build starts may outlive it."""
    proc = subprocess.Popen([*(user or []), *args], cwd=cwd, env=env or ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
        raise AssertionError(f"{args} did not end within {timeout} s (hung); stderr:\n{err}") from None
    if sys.platform.startswith("linux"):
        left = session_members(proc.pid)
        assert not left, f"processes alive after {args} exited: {left}"
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def build_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "srtbuild", *args]


def doit_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "doit", *args]


def unprivileged() -> list[str] | None:
    """A command prefix under which file permissions apply ([] when we are not root), or
    None where that cannot be had. Root keeps its uid (its Python and packages stay
    readable) but loses the capabilities that override permissions."""
    if os.geteuid() != 0:
        return []
    if not sys.platform.startswith("linux") or not shutil.which("setpriv"):
        return None
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all"]


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except FileNotFoundError:
        return []
